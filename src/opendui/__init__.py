"""OpenDUI: a libre Dossier Usager Informatisé for French social and medico-social services."""

__version__ = "0.1.0"
