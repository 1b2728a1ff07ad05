"""金保 Jinbao: an open-source national basic pension insurance information system."""

__version__ = "0.1.0"
