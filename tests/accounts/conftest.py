from tests.annuaire.fixtures import (  # noqa: F401 - fixtures of the Annuaire simulator
    annuaire_down,
    annuaire_server_url,
    annuaire_settings,
)
