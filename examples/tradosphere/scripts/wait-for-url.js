#!/usr/bin/env node
/**
 * Waits until a URL answers with a 2xx status.
 * Usage: node scripts/wait-for-url.js URL [TIMEOUT_SECONDS]
 */
'use strict';

const url = process.argv[2];
const timeoutMs = Number(process.argv[3] || 60) * 1000;

if (!url) {
  console.error('usage: wait-for-url.js URL [TIMEOUT_SECONDS]');
  process.exit(2);
}

const deadline = Date.now() + timeoutMs;

async function poll() {
  try {
    const res = await fetch(url);
    if (res.ok) {
      process.exit(0);
    }
  } catch {
    // Not listening yet.
  }
  if (Date.now() > deadline) {
    console.error(`Timed out after ${timeoutMs / 1000}s waiting for ${url}`);
    process.exit(1);
  }
  setTimeout(poll, 500);
}

poll();
