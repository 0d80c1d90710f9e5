"""党建精细管控平台 (Dangjian): fine-grained Party-work management for enterprise committees."""

__version__ = "0.1.0"
