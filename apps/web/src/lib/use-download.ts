import { useState } from 'react';

/**
 * A download's state for the buttons that start it: which format is being prepared, the name of
 * the file last saved, or why it failed (in words for the person who asked).
 */
export function useDownload<Format extends string>() {
  const [downloading, setDownloading] = useState<Format | null>(null);
  const [downloaded, setDownloaded] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  /** Runs `save` (which resolves to the saved file's name) as the download of `format`. */
  const start = async (format: Format, save: () => Promise<string>) => {
    setDownloading(format);
    setDownloaded(null);
    setError(null);
    try {
      setDownloaded(await save());
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setDownloading(null);
    }
  };
  return { downloading, downloaded, error, start };
}
