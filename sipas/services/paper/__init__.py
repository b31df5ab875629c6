"""Paper forms: issuing numbered forms, typing them in twice, figures, posters."""
