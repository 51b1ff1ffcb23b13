import type { Metadata, Viewport } from 'next';
import Link from 'next/link';
import type { ReactNode } from 'react';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'TradoSphere', template: '%s · TradoSphere' },
  description: 'Live prices of crypto and equity markets.',
};

export const viewport: Viewport = {
  width: 'device-width',
  initialScale: 1,
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <header className="site-header">
          <Link href="/" className="brand" data-testid="brand-link">
            TradoSphere
          </Link>
        </header>
        {children}
      </body>
    </html>
  );
}
