import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { normalizeSymbol, type Market } from '@tradosphere/shared';
import type { Response } from 'express';
import { MarketsService } from './markets.service';

@Controller('markets')
export class MarketsController {
  constructor(private readonly markets: MarketsService) {}

  /** Lists all markets; `x-cache` tells whether Redis answered. */
  @Get()
  async list(@Res({ passthrough: true }) res: Response): Promise<Market[]> {
    const { markets, cache } = await this.markets.listMarkets();
    res.setHeader('x-cache', cache);
    return markets;
  }

  @Get(':symbol')
  async get(@Param('symbol') symbol: string): Promise<Market> {
    const market = await this.markets.getMarket(symbol);
    if (market === null) {
      throw new NotFoundException(`Market ${normalizeSymbol(symbol)} not found`);
    }
    return market;
  }
}
