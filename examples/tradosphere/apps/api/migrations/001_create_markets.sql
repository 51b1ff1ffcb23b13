-- Markets that the API lists and the web app shows.
CREATE TABLE IF NOT EXISTS markets (
  symbol text PRIMARY KEY,
  name text NOT NULL,
  price numeric NOT NULL
);
