"""Moving servers between instances: a signed JSON export and an all-or-nothing import.

`export_servers` writes the document (`document.py`, signed as `signing.py` says);
`import_document` checks it (`checks.py`) and rebuilds the servers (`importer.py`).
"""

from polybox.forge.transfer.exporter import export_servers
from polybox.forge.transfer.importer import ImportedServer, ImportResult, import_document

__all__ = ["ImportResult", "ImportedServer", "export_servers", "import_document"]
