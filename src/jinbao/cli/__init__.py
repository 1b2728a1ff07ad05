"""The ``jinbao`` command line (Typer): one group per capability, human output or ``--json``."""
