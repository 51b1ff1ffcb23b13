export interface Migration {
  version: string;
  file: string;
}

export function listMigrations(dir: string): Migration[];

export function migrate(options: {
  databaseUrl: string;
  dir: string;
  log?: (message: string) => void;
}): Promise<string[]>;
