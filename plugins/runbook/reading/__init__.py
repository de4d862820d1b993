"""Reading a page: its fences, what a reader sees of them, and the steps they make.

Nothing here runs a command or knows MkDocs' build: each module takes a page's text, or its
render, and returns what it holds, with the problems an author must fix at `path:line`.
"""
