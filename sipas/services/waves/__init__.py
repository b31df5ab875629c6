"""Survey rounds: finding them, their design, targets, margins and progress."""
