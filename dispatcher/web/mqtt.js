/*
 * dispatcher/web/mqtt.js: a minimal MQTT 3.1.1 subscriber over WebSockets
 * for the fleet map, in plain JavaScript (no library).
 *
 * Does: CONNECT with user name and password (clean session), SUBSCRIBE,
 * PUBLISH received at QoS 0 or 1 (PUBACK sent; retain flag passed on),
 * PINGREQ every keepalive/2 seconds, packets split across or packed into
 * WebSocket frames. Does not: publish, QoS 2, reconnect by itself (the page
 * does, with a delay), TLS (use a wss:// URL; the browser does TLS).
 *
 *   const c = new TrMqtt({url, username, password, keepalive: 30,
 *       onConnect(), onMessage(topic, bytes, retained), onClose(reason)});
 *   c.subscribe(["truckroll/v1/fleet/#"]); c.close();
 */
"use strict";

class TrMqtt {
  constructor(opts) {
    this.o = opts;
    this.buf = new Uint8Array(0);
    this.nextId = 1;
    this.closed = false;
    this.enc = new TextEncoder();
    this.dec = new TextDecoder();
    this.ws = new WebSocket(opts.url, ["mqtt"]);
    this.ws.binaryType = "arraybuffer";
    this.ws.onopen = () => this.send(this.connectPacket());
    this.ws.onmessage = (e) => this.feed(new Uint8Array(e.data));
    this.ws.onerror = () => this.fail("websocket error");
    this.ws.onclose = () => this.fail("connection closed");
  }

  fail(reason) {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pinger);
    try { this.ws.close(); } catch (e) { /* already closed */ }
    if (this.o.onClose) this.o.onClose(reason);
  }

  close() { this.fail("closed"); }

  send(bytes) {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(bytes);
  }

  str(s) { // a UTF-8 string with its 2-byte length
    const b = this.enc.encode(s);
    return [b.length >> 8, b.length & 255, ...b];
  }

  packet(type, body) { // fixed header + remaining length (variable byte integer)
    const len = [];
    let n = body.length;
    do {
      let d = n % 128;
      n = Math.floor(n / 128);
      if (n > 0) d |= 128;
      len.push(d);
    } while (n > 0);
    return new Uint8Array([type, ...len, ...body]);
  }

  connectPacket() {
    const o = this.o;
    let flags = 0x02; // clean session
    const payload = [...this.str(o.clientId || "webmap-" + Math.random().toString(36).slice(2, 10))];
    if (o.username) { flags |= 0x80; payload.push(...this.str(o.username)); }
    if (o.password) { flags |= 0x40; payload.push(...this.str(o.password)); }
    const ka = o.keepalive || 30;
    const body = [...this.str("MQTT"), 4, flags, ka >> 8, ka & 255, ...payload];
    return this.packet(0x10, body);
  }

  subscribe(filters) {
    const id = this.nextId++;
    const body = [id >> 8, id & 255];
    for (const f of filters) body.push(...this.str(f), 0); // QoS 0
    this.send(this.packet(0x82, body));
  }

  feed(chunk) {
    const all = new Uint8Array(this.buf.length + chunk.length);
    all.set(this.buf);
    all.set(chunk, this.buf.length);
    let p = 0;
    while (all.length - p >= 2) {
      let len = 0, mul = 1, i = p + 1, done = false;
      for (let k = 0; k < 4 && i < all.length; k++, i++) {
        len += (all[i] & 127) * mul;
        mul *= 128;
        if (!(all[i] & 128)) { done = true; i++; break; }
      }
      if (!done || all.length - i < len) break; // wait for the rest
      this.handle(all[p], all.subarray(i, i + len));
      if (this.closed) return;
      p = i + len;
    }
    this.buf = all.slice(p);
  }

  handle(h, b) {
    switch (h >> 4) {
      case 2: // CONNACK
        if (b.length < 2 || b[1] !== 0) {
          const why = ["", "bad protocol", "client id refused", "server unavailable",
                       "bad user name or password", "not authorised"][b[1]] || "refused";
          this.fail("broker refused: " + why);
          return;
        }
        this.pinger = setInterval(() => this.send(new Uint8Array([0xc0, 0])),
                                  (this.o.keepalive || 30) * 500);
        if (this.o.onConnect) this.o.onConnect();
        break;
      case 3: { // PUBLISH
        const qos = (h >> 1) & 3, retained = (h & 1) === 1;
        const tlen = (b[0] << 8) | b[1];
        const topic = this.dec.decode(b.subarray(2, 2 + tlen));
        let off = 2 + tlen;
        if (qos > 0) {
          this.send(new Uint8Array([0x40, 2, b[off], b[off + 1]])); // PUBACK
          off += 2;
        }
        if (this.o.onMessage) this.o.onMessage(topic, b.subarray(off), retained);
        break;
      }
      case 9: // SUBACK
        for (let k = 2; k < b.length; k++)
          if (b[k] === 0x80 && this.o.onDenied) this.o.onDenied();
        break;
      default: // PINGRESP and the rest: nothing to do
        break;
    }
  }
}
