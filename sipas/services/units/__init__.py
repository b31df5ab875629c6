"""Units: the tree, its rules and lineage, files of units, and their admin."""
