/**
 * Chooses the tensorflow.js backend once per thread: @tensorflow/tfjs-node (native) when it
 * loads, else the pure-JS cpu backend of @tensorflow/tfjs. Same training code either way;
 * the name is reported so operators see which one runs (log line and metric label).
 */
import * as tf from '@tensorflow/tfjs';

let backendChoice: Promise<string> | undefined;

/** Picks the fastest available tfjs backend (memoised) and returns its name. */
export function selectTfBackend(): Promise<string> {
  backendChoice ??= (async () => {
    // A variable specifier keeps the type checker and bundlers from requiring the optional native package.
    const nativePackage = '@tensorflow/tfjs-node';
    try {
      await import(nativePackage);
      if (tf.findBackend('tensorflow') !== null) await tf.setBackend('tensorflow');
    } catch {
      await tf.setBackend('cpu');
    }
    await tf.ready();
    return tf.getBackend();
  })();
  return backendChoice;
}

/** The log line announcing the backend. */
export function describeBackend(name: string): string {
  return `log embeddings: tfjs backend "${name}"${name === 'cpu' ? ' (pure JS; @tensorflow/tfjs-node not available)' : ''}`;
}
