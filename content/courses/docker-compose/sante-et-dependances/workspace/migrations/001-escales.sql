-- Première migration : la table des escales et quelques données de départ.
-- Rejouable sans risque : IF NOT EXISTS et ON CONFLICT évitent les doublons.
CREATE TABLE IF NOT EXISTS escales (
  id   SERIAL PRIMARY KEY,
  port TEXT NOT NULL UNIQUE,
  pays TEXT NOT NULL
);

INSERT INTO escales (port, pays) VALUES
  ('Marseille', 'France'),
  ('Gênes', 'Italie'),
  ('Barcelone', 'Espagne'),
  ('Tanger', 'Maroc')
ON CONFLICT (port) DO NOTHING;
