import { formatPrice, isValidSymbol, normalizeSymbol } from '@tradosphere/shared';
import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { fetchMarket } from '../../../lib/api';

export const dynamic = 'force-dynamic';

interface MarketPageProps {
  params: { symbol: string };
}

export function generateMetadata({ params }: MarketPageProps): Metadata {
  return { title: normalizeSymbol(decodeURIComponent(params.symbol)) };
}

export default async function MarketPage({ params }: MarketPageProps) {
  const symbol = decodeURIComponent(params.symbol);
  if (!isValidSymbol(symbol)) {
    notFound();
  }
  const market = await fetchMarket(symbol);
  if (market === null) {
    notFound();
  }

  return (
    <main data-testid="market-detail">
      <Link href="/" data-testid="back-link">
        ← All markets
      </Link>
      <h1 data-testid="market-symbol">{market.symbol}</h1>
      <p className="lead" data-testid="market-name">
        {market.name}
      </p>
      <p className="price-large" data-testid="market-price">
        {formatPrice(market.price)}
      </p>
    </main>
  );
}
