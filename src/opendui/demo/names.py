"""French names and places for the demo data. Pure data, no Django import.

First names follow the fashions of the generation a person was born in (a
95-year-old is rarely called Kylian); surnames are the most frequent French
family names, listed roughly from the most to the least common so a Zipf-like
weighting gives a realistic mix (many MARTIN, few LAMY), with their accents,
particles and compound forms so that accent-insensitive search is exercised.
"""

from __future__ import annotations

# Born before 1950.
FEMALE_FIRST_NAMES_OLD = [
    "Marie", "Jeanne", "Simone", "Jacqueline", "Monique", "Denise", "Yvette", "Paulette",
    "Germaine", "Colette", "Odette", "Madeleine", "Suzanne", "Geneviève", "Lucienne",
    "Raymonde", "Andrée", "Marcelle", "Huguette", "Josette", "Micheline", "Christiane",
    "Gisèle", "Renée", "Yvonne", "Marguerite", "Thérèse", "Ginette", "Solange", "Arlette",
    "Marie-Thérèse", "Marie-Louise", "Lucette", "Henriette", "Berthe", "Georgette", "Paule",
    "Éliane", "Jeannine", "Irène", "Hélène", "Bernadette", "Françoise", "Nicole", "Claudine",
    "Mauricette", "Léone", "Rolande", "Gilberte", "Fernande",
]  # fmt: skip
MALE_FIRST_NAMES_OLD = [
    "Jean", "Pierre", "André", "René", "Roger", "Marcel", "Louis", "Georges", "Robert",
    "Henri", "Jacques", "Maurice", "Raymond", "Lucien", "Paul", "Joseph", "Albert",
    "Fernand", "Émile", "Gaston", "Roland", "Guy", "Michel", "Claude", "Bernard", "Gérard",
    "Jean-Pierre", "Jean-Claude", "Yves", "Francis", "Gilbert", "Marius", "Léon",
    "Eugène", "Camille", "Edmond", "Armand", "Raoul", "Norbert", "Jean-Marie", "Serge",
    "Daniel", "Alain", "Auguste", "Félix", "Noël", "Octave", "Firmin", "Honoré",
]  # fmt: skip

# Born 1950 to 1984.
FEMALE_FIRST_NAMES_MIDDLE = [
    "Nathalie", "Isabelle", "Sylvie", "Catherine", "Christine", "Valérie", "Sandrine",
    "Véronique", "Patricia", "Martine", "Brigitte", "Chantal", "Dominique", "Corinne",
    "Stéphanie", "Céline", "Virginie", "Sophie", "Laurence", "Karine", "Florence", "Nadine",
    "Pascale", "Muriel", "Fabienne", "Carole", "Delphine", "Anne", "Agnès", "Caroline",
    "Emmanuelle", "Hélène", "Béatrice", "Annie", "Évelyne", "Joëlle", "Aurélie", "Élodie",
    "Nadia", "Samia", "Fatima", "Malika", "Myriam", "Laetitia", "Séverine", "Mireille",
]  # fmt: skip
MALE_FIRST_NAMES_MIDDLE = [
    "Philippe", "Alain", "Patrick", "Christophe", "Thierry", "Éric", "Pascal", "Frédéric",
    "Stéphane", "Laurent", "Olivier", "Didier", "Dominique", "Franck", "Sébastien", "Nicolas",
    "David", "Jérôme", "Vincent", "Bruno", "Hervé", "Gilles", "Denis", "Jean-François",
    "Jean-Luc", "Christian", "Régis", "Lionel", "Emmanuel", "Xavier", "Arnaud", "Fabrice",
    "Cédric", "Ludovic", "Mohamed", "Karim", "Rachid", "José", "Antonio", "Marc", "Joël",
    "Yannick", "Serge", "Daniel", "Jean-Marc", "Francis",
]  # fmt: skip

# Born 1985 and later.
FEMALE_FIRST_NAMES_YOUNG = [
    "Emma", "Léa", "Chloé", "Manon", "Camille", "Inès", "Jade", "Louise", "Alice", "Lina",
    "Lola", "Zoé", "Sarah", "Clara", "Juliette", "Anaïs", "Mathilde", "Lucie", "Océane",
    "Julie", "Laura", "Marine", "Pauline", "Ambre", "Rose", "Mia", "Anna", "Lou", "Léna",
    "Romane", "Eva", "Maëlys", "Nina", "Agathe", "Margaux", "Charlotte", "Justine", "Émilie",
    "Yasmine", "Aya", "Maëlle", "Noémie", "Elsa", "Lilou", "Salomé", "Capucine", "Héloïse",
]  # fmt: skip
MALE_FIRST_NAMES_YOUNG = [
    "Lucas", "Hugo", "Louis", "Gabriel", "Arthur", "Jules", "Raphaël", "Adam", "Nathan",
    "Léo", "Thomas", "Théo", "Mathis", "Enzo", "Maël", "Noah", "Tom", "Ethan", "Paul",
    "Sacha", "Kylian", "Quentin", "Maxime", "Alexandre", "Antoine", "Romain", "Kévin",
    "Julien", "Yanis", "Rayan", "Nolan", "Timéo", "Clément", "Baptiste", "Valentin", "Axel",
    "Evan", "Matteo", "Aaron", "Mathéo", "Ilyes", "Bastien", "Florian", "Dylan", "Loïc",
    "Benjamin", "Samuel",
]  # fmt: skip

LAST_NAMES = [
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau",
    "Laurent", "Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David", "Bertrand", "Morel",
    "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent",
    "Muller", "Lefebvre", "Faure", "André", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier",
    "Chevalier", "François", "Legrand", "Gauthier", "Garcia", "Perrin", "Robin", "Clément",
    "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Gautier", "Masson", "Marchand",
    "Duval", "Denis", "Dumont", "Marie", "Lemaire", "Noël", "Meyer", "Dufour", "Meunier",
    "Brun", "Blanchard", "Giraud", "Joly", "Rivière", "Lucas", "Brunet", "Gaillard",
    "Barbier", "Arnaud", "Martinez", "Gérard", "Roche", "Renard", "Schmitt", "Roy", "Leroux",
    "Colin", "Vidal", "Caron", "Picard", "Roger", "Fabre", "Aubert", "Lemoine", "Renaud",
    "Dumas", "Lacroix", "Olivier", "Philippe", "Bourgeois", "Pierre", "Benoît", "Rey",
    "Leclerc", "Payet", "Rolland", "Leclercq", "Guillaume", "Lecomte", "Lopez", "Jean",
    "Dupuy", "Guillot", "Hubert", "Berger", "Carpentier", "Sanchez", "Dupuis", "Moulin",
    "Louis", "Deschamps", "Huet", "Vasseur", "Perez", "Boucher", "Fleury", "Royer", "Klein",
    "Jacquet", "Adam", "Paris", "Poirier", "Marty", "Aubry", "Guyot", "Carré", "Charles",
    "Renault", "Charpentier", "Ménard", "Maillard", "Baron", "Bertin", "Bailly", "Hervé",
    "Schneider", "Fernandez", "Le Gall", "Collet", "Léger", "Bouvier", "Julien", "Prévost",
    "Millet", "Perrot", "Daniel", "Le Roux", "Cousin", "Germain", "Breton", "Besson",
    "Langlois", "Rémy", "Le Goff", "Pelletier", "Lévêque", "Perrier", "Leblanc", "Barré",
    "Lebrun", "Marchal", "Weber", "Mallet", "Hamon", "Boulanger", "Jacob", "Monnier",
    "Michaud", "Rodriguez", "Guichard", "Gillet", "Étienne", "Grondin", "Poulain", "Tessier",
    "Chevallier", "Collin", "Chauvin", "Da Silva", "Bouchet", "Gay", "Lemaître", "Bénard",
    "Maréchal", "Humbert", "Reynaud", "Antoine", "Hoarau", "Perret", "Barthélemy", "Cordier",
    "Pichon", "Lejeune", "Gilbert", "Lamy", "Delaunay", "Pasquier", "Carlier", "Laporte",
    "N'Diaye", "Benali", "Haddad", "Nguyen", "Dos Santos", "Ferreira", "Diallo", "Traoré",
    "Mansouri", "Saint-Martin", "Lenoir", "Pons", "Boutin", "Régnier", "Bouvet", "Texier",
    "Roblin", "Couturier", "Thibault", "Poulet", "Hémery", "Cœur", "Dumoulin", "Lagarde",
]  # fmt: skip

STREETS = [
    "rue des Tilleuls", "avenue de la République", "rue Nationale", "rue du Moulin",
    "chemin des Vignes", "allée des Acacias", "rue Victor-Hugo", "boulevard Jean-Jaurès",
    "rue de la Gare", "place de l'Église", "rue Pasteur", "rue des Écoles",
    "route de Chinon", "rue du Général-de-Gaulle", "impasse des Lilas", "rue Jules-Ferry",
]  # fmt: skip

# (commune, postal code): Touraine and the neighbouring départements.
CITIES = [
    ("Tours", "37000"),
    ("Joué-lès-Tours", "37300"),
    ("Amboise", "37400"),
    ("Chinon", "37500"),
    ("Loches", "37600"),
    ("Saint-Cyr-sur-Loire", "37540"),
    ("Blois", "41000"),
    ("Vendôme", "41100"),
    ("Saumur", "49400"),
    ("Châtellerault", "86100"),
    ("Romorantin-Lanthenay", "41200"),
    ("Bourgueil", "37140"),
]
