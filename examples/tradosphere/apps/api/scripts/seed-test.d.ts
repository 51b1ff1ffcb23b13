export const TEST_MARKETS: ReadonlyArray<{ symbol: string; name: string; price: string }>;

export function seed(databaseUrl: string): Promise<void>;
