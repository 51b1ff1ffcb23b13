-- The markets TradoSphere lists from the start, with an opening price; later
-- prices come from the feeds. Rows that exist already are left as they are.
INSERT INTO markets (symbol, name, price) VALUES
  ('BTC-USD', 'Bitcoin / US Dollar', 64250.50),
  ('ETH-USD', 'Ether / US Dollar', 3120.75),
  ('AAPL', 'Apple Inc.', 189.84)
ON CONFLICT (symbol) DO NOTHING;
