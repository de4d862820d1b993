"""What a replay has in place of the world: Git remotes, a package index, downloads.

Each stand-in serves on 127.0.0.1 or from a folder, and knows nothing of pages or scripts.
"""
