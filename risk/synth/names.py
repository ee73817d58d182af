"""Invented patient names and places (common French names for French-style records, others for the rest).

The lists are common first names and surnames (INSEE-style frequency, no real person intended) and French
cities with their postcodes; nothing else about the patients is real.
"""

from __future__ import annotations

FR_MALE = ("Jean", "Pierre", "Michel", "André", "Philippe", "Alain", "Jacques", "Bernard", "Daniel", "Patrick",
           "Nicolas", "Christophe", "François", "Thierry", "Laurent", "Éric", "Frédéric", "Stéphane", "Julien",
           "Sébastien", "Olivier", "Gérard", "René", "Claude", "Hervé", "Dominique", "Pascal", "Didier", "Yves",
           "Denis", "Marcel", "Guy", "Jérôme", "Bruno", "Serge", "Antoine", "Mathieu", "Vincent", "Gilles",
           "Benoît")
FR_FEMALE = ("Marie", "Nathalie", "Isabelle", "Sylvie", "Catherine", "Françoise", "Monique", "Christine",
             "Martine", "Valérie", "Sandrine", "Nicole", "Véronique", "Sophie", "Hélène", "Anne", "Céline",
             "Chantal", "Jacqueline", "Brigitte", "Patricia", "Christiane", "Élodie", "Stéphanie", "Aurélie",
             "Julie", "Danielle", "Michèle", "Annie", "Josiane", "Odile", "Geneviève", "Colette", "Émilie",
             "Corinne", "Laurence", "Agnès", "Béatrice", "Paulette", "Solange")
FR_FAMILY = ("Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau", "Laurent",
             "Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David", "Bertrand", "Morel", "Fournier", "Girard",
             "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent", "Muller", "Lefèbvre", "Faure",
             "André", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier", "Chevalier", "François", "Legrand",
             "Gauthier", "Garcia", "Perrin", "Robin", "Clément", "Morin", "Nicolas", "Henry", "Roussel", "Mathieu",
             "Gautier", "Masson")
OTHER_MALE = ("James", "John", "Robert", "Michael", "William", "David", "Richard", "Joseph", "Thomas", "Charles",
              "Daniel", "Matthew", "Anthony", "Mark", "Paul", "Steven", "Andrew", "Kenneth", "Joshua", "Kevin",
              "Brian", "George", "Edward", "Ronald", "Timothy", "Jason", "Jeffrey", "Ryan", "Jacob", "Gary",
              "Ahmed", "Karim", "Mehdi", "Luca", "Marco", "Pedro", "Jorge", "Hans", "Lars", "Tomasz")
OTHER_FEMALE = ("Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah",
                "Karen", "Nancy", "Lisa", "Betty", "Margaret", "Sandra", "Ashley", "Kimberly", "Emily", "Donna",
                "Michelle", "Carol", "Amanda", "Melissa", "Deborah", "Stephanie", "Rebecca", "Laura", "Sharon",
                "Cynthia", "Kathleen", "Fatima", "Amina", "Yasmine", "Giulia", "Chiara", "Ana", "Lucia", "Ingrid",
                "Anna", "Agnieszka")
OTHER_FAMILY = ("Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor",
                "Moore", "Jackson", "White", "Harris", "Clark", "Lewis", "Walker", "Hall", "Allen", "Young",
                "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Hill", "Campbell", "Mitchell",
                "Benali", "Haddad", "Rossi", "Ferreira", "Silva", "Schmidt", "Nowak", "Kowalski", "Jensen",
                "O'Brien", "Murphy", "Kelly", "Rossi", "Costa", "Santos", "Weber", "Fischer", "Novak", "Horvat",
                "Popescu")
FR_CITIES = (("Paris", "75011"), ("Lyon", "69003"), ("Marseille", "13005"), ("Toulouse", "31000"),
             ("Lille", "59000"), ("Bordeaux", "33000"), ("Nantes", "44000"), ("Strasbourg", "67000"),
             ("Montpellier", "34000"), ("Rennes", "35000"), ("Reims", "51100"), ("Saint-Étienne", "42000"),
             ("Le Havre", "76600"), ("Grenoble", "38000"), ("Dijon", "21000"), ("Angers", "49000"),
             ("Nîmes", "30000"), ("Clermont-Ferrand", "63000"), ("Brest", "29200"), ("Amiens", "80000"))
N_NAMES = (40, 50)  # (first names per list, family names per list)
