-- Jeu de données de la boutique : 6 produits, 4 commandes.
CREATE TABLE produits (
  id         serial PRIMARY KEY,
  nom        text    NOT NULL,
  prix_cents integer NOT NULL CHECK (prix_cents >= 0),
  stock      integer NOT NULL DEFAULT 0
);

CREATE TABLE commandes (
  id         serial PRIMARY KEY,
  produit_id integer     NOT NULL REFERENCES produits (id),
  quantite   integer     NOT NULL CHECK (quantite > 0),
  passee_le  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO produits (nom, prix_cents, stock) VALUES
  ('clavier mécanique', 8900, 25),
  ('écran 27 pouces', 24900, 8),
  ('souris sans fil', 2900, 60),
  ('casque audio', 7900, 14),
  ('station d''accueil', 15900, 5),
  ('câble USB-C', 1290, 120);

INSERT INTO commandes (produit_id, quantite) VALUES
  (1, 1),
  (3, 2),
  (2, 1),
  (6, 4);
