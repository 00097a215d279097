import type { WebSocket } from 'ws';
import type { ClientMessage } from '../../src-shared/wire';
import { describeBytes } from '../engine/dispatch/answer-cap';

/** When a browser-mode socket stops taking calls, starts again, and is given up on. */
export interface FlowLimits {
  /** Unsent answer bytes above which the socket's new calls wait (and its reading pauses). */
  highWaterBytes: number;
  /** ...until the peer has read its answers down below this. */
  lowWaterBytes: number;
  /** Unsent bytes that, held for `ceilingGraceMs`, close the socket: the peer is not reading. */
  ceilingBytes: number;
  ceilingGraceMs: number;
}

/**
 * A tab on this machine reads describeBytes in milliseconds. One capped answer (8 MB) may sit
 * above the high-water mark alone; streams keep emitting while calls wait, so the
 * ceiling bounds what a tab that stopped reading (frozen, suspended, hostile) can pin.
 */
export const SOCKET_FLOW: FlowLimits = {
  highWaterBytes: 8 * 1024 * 1024,
  lowWaterBytes: 1024 * 1024,
  ceilingBytes: 32 * 1024 * 1024,
  ceilingGraceMs: 10_000,
};

/** Close code and reason for a peer that left its answers unread (the reason fits the 123-byte limit). */
export const UNREAD_CLOSE_CODE = 1008;
export const unreadCloseReason = (limits: FlowLimits): string =>
  `answers were not read: over ${describeBytes(limits.ceilingBytes)} waited ${Math.round(limits.ceilingGraceMs / 1000)} s`;
/** A closing handshake waits behind the unread bytes; this long, then the socket is cut. */
const CUT_AFTER_CLOSE_MS = 1000;

/**
 * Back-pressure for one WebSocket: answers are sent at once, but while the peer leaves
 * more than the high-water mark unread, its new calls are held (and the socket's reading
 * paused, so the kernel pushes back on the peer) until it drains below the low-water mark.
 * Cancels always pass: they free work. A peer over the ceiling for the grace period is closed.
 */
export function socketFlow(ws: WebSocket, handle: (message: ClientMessage) => void, limits: FlowLimits, log: (message: string) => void) {
  const held: ClientMessage[] = [];
  let paused = false;
  let ceilingTimer: ReturnType<typeof setTimeout> | undefined;

  function check(): void {
    if (ws.readyState !== ws.OPEN) return;
    const unsent = ws.bufferedAmount;
    if (!paused && unsent > limits.highWaterBytes) {
      paused = true;
      ws.pause();
    } else if (paused && unsent < limits.lowWaterBytes) {
      paused = false;
      ws.resume();
      while (!paused && held.length) handle(held.shift()!);
    }
    if (unsent > limits.ceilingBytes) ceilingTimer ??= setTimeout(giveUp, limits.ceilingGraceMs);
    else if (ceilingTimer) {
      clearTimeout(ceilingTimer);
      ceilingTimer = undefined;
    }
  }

  function giveUp(): void {
    if (ws.readyState !== ws.OPEN || ws.bufferedAmount <= limits.ceilingBytes) return void (ceilingTimer = undefined);
    log(`browser host: closed a socket that left ${describeBytes(ws.bufferedAmount)} of answers unread for ${limits.ceilingGraceMs} ms`);
    held.length = 0;
    ws.close(UNREAD_CLOSE_CODE, unreadCloseReason(limits));
    setTimeout(() => ws.terminate(), CUT_AFTER_CLOSE_MS).unref();
  }

  return {
    send(json: string): void {
      if (ws.readyState !== ws.OPEN) return;
      // The callback runs once this frame is handed to the kernel: the moment to look again.
      ws.send(json, () => check());
      check();
    },
    receive(message: ClientMessage): void {
      if (message.t === 'cancel' || (!paused && !held.length)) handle(message);
      else held.push(message);
    },
    stop(): void {
      held.length = 0;
      if (ceilingTimer) clearTimeout(ceilingTimer);
    },
  };
}
