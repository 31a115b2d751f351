// One build at a time per cache entry, across processes (vitest workers, `npm run cluster`, a second terminal): the
// builder holds a lock file with its pid; the others wait until the binaries appear, and a lock left by a dead process
// (or older than an hour) is taken over.
import fs from 'node:fs/promises';

const LOCK_STALE_MS = 60 * 60 * 1000;

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/**
 * Takes the build lock (true), or returns false once `done()` says another process finished the build meanwhile.
 * @param {string} lockPath
 * @param {{ done: () => boolean | Promise<boolean>, what: string, log: (msg: string) => void }} options
 * @returns {Promise<boolean>}
 */
export async function acquireBuildLock(lockPath, { done, what, log }) {
  let waitingLogged = false;
  for (;;) {
    try {
      const fh = await fs.open(lockPath, 'wx');
      await fh.writeFile(JSON.stringify({ pid: process.pid, at: Date.now() }));
      await fh.close();
      return true;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    if (await done()) return false;
    let stale = false;
    try {
      const [raw, st] = await Promise.all([fs.readFile(lockPath, 'utf8'), fs.stat(lockPath)]);
      const info = JSON.parse(raw || '{}');
      stale = (info.pid && !pidAlive(info.pid)) || Date.now() - st.mtimeMs > LOCK_STALE_MS;
    } catch {
      // the lock vanished or is half-written: try again
    }
    if (stale) {
      await fs.rm(lockPath, { force: true });
      continue;
    }
    if (!waitingLogged) {
      log(`waiting for another process building ${what} (lock ${lockPath})…`);
      waitingLogged = true;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}
