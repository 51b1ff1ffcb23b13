-- A price below zero is always a data error.
ALTER TABLE markets
  ADD CONSTRAINT markets_price_non_negative CHECK (price >= 0);
