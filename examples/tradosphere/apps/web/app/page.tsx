import { formatPrice, type Market } from '@tradosphere/shared';
import Link from 'next/link';
import { fetchMarkets } from '../lib/api';

// Prices change all the time: render on every request, never at build time.
export const dynamic = 'force-dynamic';

async function loadMarkets(): Promise<Market[] | null> {
  try {
    return await fetchMarkets();
  } catch (err) {
    console.error(`Loading markets failed: ${(err as Error).message}`);
    return null;
  }
}

export default async function HomePage() {
  const markets = await loadMarkets();

  return (
    <main>
      <h1 data-testid="page-title">TradoSphere</h1>
      <p className="lead">Latest prices across crypto and equity markets.</p>
      {markets === null ? (
        <p className="notice" role="alert" data-testid="markets-error">
          Market data is unavailable right now. Please try again shortly.
        </p>
      ) : markets.length === 0 ? (
        <p data-testid="markets-empty">No markets are listed yet.</p>
      ) : (
        <ul className="market-list" data-testid="market-list">
          {markets.map((market) => (
            <li key={market.symbol} data-testid="market-item" data-symbol={market.symbol}>
              <Link
                className="market-link"
                href={`/markets/${encodeURIComponent(market.symbol)}`}
                data-testid="market-link"
              >
                <span className="symbol" data-testid="market-symbol">
                  {market.symbol}
                </span>
                <span className="name" data-testid="market-name">
                  {market.name}
                </span>
                <span className="price" data-testid="market-price">
                  {formatPrice(market.price)}
                </span>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </main>
  );
}
