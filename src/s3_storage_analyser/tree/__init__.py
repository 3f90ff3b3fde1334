"""The folder tree of a bucket: built from a listing or an inventory, kept in the history, browsed."""
