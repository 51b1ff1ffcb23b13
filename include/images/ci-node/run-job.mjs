// Runs one pipeline job inside its container: the steps in order, then the artifacts.
//
// Environment (set by the pipeline, never by hand):
//   JOB_NAME        the job, for the log
//   JOB_STEPS       JSON list of {name, run}; each run is a bash script from pipeline.yaml
//   JOB_ARTIFACTS   JSON list of workspace-relative paths copied to /artifacts afterwards
//   CACHE_ROOT, CACHE_KEY, CACHE_FALLBACK
//                   when set, the pnpm store lives in CACHE_ROOT/CACHE_KEY; a missing key
//                   is seeded from the newest CACHE_FALLBACK* entry (restore_cache semantics)
//
// The last line printed is a JSON summary of the steps, which the pipeline reads.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const job = process.env.JOB_NAME ?? "job";
const steps = JSON.parse(process.env.JOB_STEPS ?? "[]");
const artifacts = JSON.parse(process.env.JOB_ARTIFACTS ?? "[]");
const workspace = process.cwd();

function restoreCache() {
  const { CACHE_ROOT: root, CACHE_KEY: key, CACHE_FALLBACK: prefix } = process.env;
  if (!root || !key) return;
  const store = join(root, key);
  if (existsSync(store)) {
    console.log(`[${job}] cache hit: ${key}`);
  } else {
    const candidates = prefix
      ? readdirSync(root)
          .filter((name) => name.startsWith(prefix))
          .map((name) => ({ name, mtime: statSync(join(root, name)).mtimeMs }))
          .sort((a, b) => b.mtime - a.mtime)
      : [];
    if (candidates.length > 0) {
      console.log(`[${job}] cache miss: ${key}; restoring from ${candidates[0].name}`);
      cpSync(join(root, candidates[0].name), store, { recursive: true });
    } else {
      console.log(`[${job}] cache miss: ${key}; starting an empty store`);
      mkdirSync(store, { recursive: true });
    }
  }
  process.env.npm_config_store_dir = join(store, "pnpm-store");
}

function runSteps() {
  const results = [];
  for (const step of steps) {
    console.log(`::group::[${job}] ${step.name}`);
    console.log(`$ ${step.run}`);
    const started = Date.now();
    const child = spawnSync("bash", ["-eo", "pipefail", "-c", step.run], { stdio: "inherit", env: process.env });
    const seconds = (Date.now() - started) / 1000;
    const exitCode = child.status ?? 128 + 9;
    console.log(`::endgroup::`);
    console.log(`[${job}] ${step.name}: ${exitCode === 0 ? "ok" : `failed (exit ${exitCode})`} in ${seconds.toFixed(1)} s`);
    results.push({ name: step.name, seconds, exit_code: exitCode });
    if (exitCode !== 0) break;
  }
  return results;
}

function keepArtifacts() {
  const kept = [];
  for (const path of artifacts) {
    const source = join(workspace, path);
    if (!existsSync(source)) continue;
    cpSync(source, join("/artifacts", path), { recursive: true, dereference: false });
    kept.push(path);
  }
  if (kept.length > 0) console.log(`[${job}] artifacts kept: ${kept.join(", ")}`);
  return kept;
}

restoreCache();
const results = runSteps();
const kept = existsSync("/artifacts") ? keepArtifacts() : [];
const failed = results.find((step) => step.exit_code !== 0);
console.log(JSON.stringify({ job, steps: results, artifacts: kept }));
process.exit(failed ? failed.exit_code : 0);
