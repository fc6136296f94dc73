import { BroadcastChannel } from 'node:worker_threads';
import type { Redis } from 'ioredis';
import { channelName, ChannelMessage } from '../runtime/messages';
import type { QueueConfig } from './queue-config';
import { DownMessage, runChannel, UpMessage } from './wire';

/**
 * One run's link inside a `goshift worker` process: its threads' progress and rate-limit requests
 * (the run's BroadcastChannel) go up to the coordinator over Redis pub/sub; grants, cancel and
 * close come down and are posted to the threads. Requests are tagged with the worker's name so a
 * grant reaches only the worker that asked; unanswered ones are sent again when a (restarted)
 * coordinator says hello.
 */
export class RunBridge {
  private readonly channel: BroadcastChannel;
  private readonly pending = new Map<string, string>();
  private readonly up: string;

  constructor(private readonly q: QueueConfig, readonly runId: number, private readonly worker: string, private readonly pub: Redis, onClose: () => void) {
    this.up = runChannel(q, runId, 'up');
    this.channel = new BroadcastChannel(channelName(runId));
    this.channel.unref();
    this.channel.onmessage = (event) => {
      const msg = (event as { data: ChannelMessage }).data;
      if (msg.runId !== runId) return;
      if (msg.type === 'progress') this.publish(msg);
      if (msg.type === 'acquire') {
        const tagged = { ...msg, reqId: `${worker}|${msg.reqId}` };
        const text = JSON.stringify(tagged satisfies UpMessage);
        this.pending.set(tagged.reqId, text);
        void this.pub.publish(this.up, text).catch(() => undefined);
      }
    };
    this.onClose = onClose;
  }

  private readonly onClose: () => void;

  /** Channel the coordinator answers on. */
  get downChannel(): string {
    return runChannel(this.q, this.runId, 'down');
  }

  /** Send a message up to the coordinator. */
  publish(msg: UpMessage): void {
    void this.pub.publish(this.up, JSON.stringify(msg)).catch(() => undefined);
  }

  /** A message from the coordinator. */
  receive(msg: DownMessage): void {
    if (msg.type === 'granted') {
      const [who, reqId] = splitOnce(msg.reqId, '|');
      if (who !== this.worker || !this.pending.delete(msg.reqId)) return;
      this.channel.postMessage({ type: 'granted', runId: this.runId, reqId } satisfies ChannelMessage);
    } else if (msg.type === 'hello') {
      for (const text of this.pending.values()) void this.pub.publish(this.up, text).catch(() => undefined);
    } else {
      this.channel.postMessage(msg satisfies ChannelMessage);
      if (msg.type === 'close') this.close();
    }
  }

  /** Stop relaying. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending.clear();
    this.channel.close();
    this.onClose();
  }

  private closed = false;
}

function splitOnce(text: string, sep: string): [string, string] {
  const i = text.indexOf(sep);
  return i < 0 ? ['', text] : [text.slice(0, i), text.slice(i + 1)];
}
