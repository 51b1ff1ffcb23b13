export type { CacheStatus, HealthStatus, Market } from './market';
export { DEV_VERSION, healthStatus } from './health';
export { MARKETS_CACHE_KEY, MARKETS_CACHE_TTL_SECONDS } from './market';
export {
  formatPrice,
  isValidSymbol,
  normalizeSymbol,
  priceChangePercent,
  sortBySymbol,
} from './format';
