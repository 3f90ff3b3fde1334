"""``s3sa browse``: walk a bucket's folder tree in the terminal, as ncdu walks a disk.

``view`` is the plain navigation state (no terminal), ``rows`` formats what a row and the detail pane say,
``folder_list`` is the virtualised list widget, ``app`` the Textual application and ``command`` the CLI
command that finds a tree (a listing, or the history) and opens it. Only ``command`` is imported without
the 'browse' extra; it imports Textual when it runs.
"""
