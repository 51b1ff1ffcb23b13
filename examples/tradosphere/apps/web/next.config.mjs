import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** @type {import('next').NextConfig} */
const nextConfig = {
  // Self-contained server in .next/standalone for the container image.
  output: 'standalone',
  poweredByHeader: false,
  reactStrictMode: true,
  // Lint runs as its own step over the whole workspace.
  eslint: { ignoreDuringBuilds: true },
  experimental: {
    // Trace files from the workspace root so that the shared package and the
    // hoisted dependencies end up in the standalone output.
    outputFileTracingRoot: path.join(here, '../..'),
  },
};

export default nextConfig;
