import { pinKey as keyOf, type Pin, type PinId, type PinStore } from './pin-store.js';

const copy = (pin: Pin): Pin => ({ ...pin, perms: [...pin.perms] });

/** In-memory {@link PinStore}: the embedded default and the reference for the contract suite. */
export class MemoryPinStore implements PinStore {
  readonly #pins = new Map<string, Pin>();

  async get(iss: string, sub: string): Promise<Pin | undefined> {
    const pin = this.#pins.get(keyOf(iss, sub));
    return pin && copy(pin);
  }

  async getMany(ids: readonly PinId[]): Promise<Map<string, Pin>> {
    const found = new Map<string, Pin>();
    for (const { iss, sub } of ids) {
      const key = keyOf(iss, sub);
      const pin = this.#pins.get(key);
      if (pin) found.set(key, copy(pin));
    }
    return found;
  }

  async set(pin: Pin): Promise<void> {
    this.#pins.set(keyOf(pin.iss, pin.sub), copy(pin));
  }

  async setIfAbsent(pin: Pin): Promise<Pin> {
    const key = keyOf(pin.iss, pin.sub);
    const existing = this.#pins.get(key);
    if (existing) return copy(existing);
    this.#pins.set(key, copy(pin));
    return copy(pin);
  }

  async replaceIf(expected: Pick<Pin, 'ver' | 'dig'>, next: Pin): Promise<Pin | undefined> {
    const key = keyOf(next.iss, next.sub);
    const current = this.#pins.get(key);
    if (!current || current.ver !== expected.ver || current.dig !== expected.dig) {
      return current && copy(current);
    }
    this.#pins.set(key, copy(next));
    return copy(next);
  }

  async delete(iss: string, sub: string): Promise<boolean> {
    return this.#pins.delete(keyOf(iss, sub));
  }

  async list(): Promise<Pin[]> {
    return [...this.#pins.values()].map(copy);
  }
}
