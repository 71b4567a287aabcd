"""Demo data: a fictitious managing organisation, its facilities, professionals and persons."""
