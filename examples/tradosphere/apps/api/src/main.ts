import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { EnvValidationError, validateEnv, type ApiConfig } from './config/env';

function loadConfig(): ApiConfig {
  try {
    return validateEnv(process.env);
  } catch (err) {
    if (err instanceof EnvValidationError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}

async function bootstrap(): Promise<void> {
  const config = loadConfig();
  const app = await NestFactory.create(AppModule.forRoot(config), { abortOnError: false });
  app.enableShutdownHooks();
  if (config.host) {
    await app.listen(config.port, config.host);
  } else {
    await app.listen(config.port);
  }
  Logger.log(`TradoSphere API listening on port ${config.port}`, 'Bootstrap');
}

bootstrap().catch((err: unknown) => {
  console.error(`TradoSphere API failed to start: ${(err as Error).message ?? String(err)}`);
  process.exit(1);
});
