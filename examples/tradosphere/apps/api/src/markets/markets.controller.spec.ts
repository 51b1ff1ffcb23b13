import { NotFoundException } from '@nestjs/common';
import type { Response } from 'express';
import { MarketsController } from './markets.controller';
import type { MarketsService } from './markets.service';

describe('MarketsController', () => {
  it('sets the x-cache header from the service result', async () => {
    const service = {
      listMarkets: async () => ({ markets: [], cache: 'hit' as const }),
    } as unknown as MarketsService;
    const headers: Record<string, string> = {};
    const res = {
      setHeader: (name: string, value: string) => {
        headers[name] = value;
      },
    } as unknown as Response;

    await expect(new MarketsController(service).list(res)).resolves.toEqual([]);
    expect(headers['x-cache']).toBe('hit');
  });

  it('answers 404 for an unknown market', async () => {
    const service = { getMarket: async () => null } as unknown as MarketsService;
    await expect(new MarketsController(service).get('doge-usd')).rejects.toThrow(
      new NotFoundException('Market DOGE-USD not found'),
    );
  });
});
