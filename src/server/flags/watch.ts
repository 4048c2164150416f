// Watches one file for changes: the directory is watched (editors and config managers replace
// files by rename, which a watch on the file itself would miss), events for the file are
// debounced, and the callback gets its new text. Read errors (the file briefly missing during
// a replace) are reported, not thrown.
import { readFile } from "node:fs/promises";
import { watch } from "node:fs";
import type { FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";

export interface FileWatch {
  close(): void;
}

/** Calls `onText` with the file's text after it changes from `initial` (debounced by `debounceMs`). */
export function watchFile(
  path: string,
  initial: string,
  onText: (text: string) => void,
  onError: (err: Error) => void,
  debounceMs = 100,
): FileWatch {
  const name = basename(path);
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let last = initial;
  const reload = (): void => {
    timer = undefined;
    readFile(path, "utf8").then(
      (text) => {
        if (closed || text === last) return;
        last = text;
        onText(text);
      },
      (err: unknown) => {
        if (!closed) onError(err instanceof Error ? err : new Error(String(err)));
      },
    );
  };
  const watcher: FSWatcher = watch(dirname(path), { persistent: false }, (_event, file) => {
    if (closed || (file !== null && file !== name)) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(reload, debounceMs);
    timer.unref();
  });
  watcher.on("error", (err) => onError(err));
  return {
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      watcher.close();
    },
  };
}
