"""What ties the runbook to its hosts: MkDocs (plugin and options), mkdocs-macros, Zensical,
the command line and pytest. Everything below them is plain Python."""
