"""Making a page's script and replaying it: the sandbox, the harness, chains of pages.

Imports point down only: this layer reads pages through `runbook.reading` and starts the
stand-ins of `runbook.standins`; it knows nothing of MkDocs, Zensical or pytest.
"""
