import Link from 'next/link';

export default function NotFound() {
  return (
    <main data-testid="not-found">
      <h1>Market not found</h1>
      <p className="lead">There is no market with that symbol.</p>
      <Link href="/" data-testid="back-link">
        ← All markets
      </Link>
    </main>
  );
}
