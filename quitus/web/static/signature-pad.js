/* A signature pad on a <canvas>: pointer events (finger, stylus, mouse), exported as PNG.
 *
 *   const pad = new SignaturePad(canvas, { onChange: (pad) => … });
 *   pad.isEmpty(); pad.clear(); pad.toPngBase64();   // base64 without the data: prefix
 *   pad.getStrokes(); pad.setStrokes(strokes);       // a draft keeps the strokes
 *
 * Strokes are kept as points in CSS pixels, so a resize (a tablet turned) redraws them
 * sharply instead of losing them. The PNG has a white background: a viewer or printer
 * that drops transparency still shows dark ink on white.
 */
(function () {
  "use strict";

  class SignaturePad {
    constructor(canvas, options) {
      this.canvas = canvas;
      this.context = canvas.getContext("2d");
      this.onChange = (options && options.onChange) || function () {};
      this.strokes = [];
      this.current = null;
      this.resize();
      canvas.addEventListener("pointerdown", (event) => this.start(event));
      canvas.addEventListener("pointermove", (event) => this.move(event));
      canvas.addEventListener("pointerup", (event) => this.end(event));
      canvas.addEventListener("pointercancel", (event) => this.end(event));
      window.addEventListener("resize", () => this.resize());
    }

    isEmpty() {
      return this.strokes.length === 0;
    }

    clear() {
      this.strokes = [];
      this.current = null;
      this.redraw();
      this.onChange(this);
    }

    /* The strokes drawn (points in CSS pixels), to keep a signature in a draft and put it back. */
    getStrokes() {
      return this.strokes.map((stroke) => stroke.map((p) => ({ x: p.x, y: p.y, w: p.w })));
    }

    setStrokes(strokes) {
      this.strokes = (strokes || []).filter((s) => Array.isArray(s) && s.length).map((s) => s.slice());
      this.current = null;
      this.redraw();
      this.onChange(this);
    }

    toPngBase64() {
      return this.canvas.toDataURL("image/png").split(",", 2)[1];
    }

    resize() {
      const ratio = Math.max(window.devicePixelRatio || 1, 1);
      const box = this.canvas.getBoundingClientRect();
      if (box.width === 0 || box.height === 0) return; // hidden: sized when shown
      this.canvas.width = Math.round(box.width * ratio);
      this.canvas.height = Math.round(box.height * ratio);
      this.context.setTransform(ratio, 0, 0, ratio, 0, 0);
      this.redraw();
    }

    point(event) {
      const box = this.canvas.getBoundingClientRect();
      const pressure = event.pointerType === "pen" && event.pressure > 0 ? event.pressure : 0.5;
      return { x: event.clientX - box.left, y: event.clientY - box.top, w: 1.4 + 2.2 * pressure };
    }

    start(event) {
      if (event.button !== undefined && event.button > 0) return;
      event.preventDefault();
      this.canvas.setPointerCapture(event.pointerId);
      this.current = [this.point(event)];
      this.strokes.push(this.current);
      this.drawDot(this.current[0]);
    }

    move(event) {
      if (!this.current) return;
      event.preventDefault();
      const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
      for (const each of events.length ? events : [event]) {
        const next = this.point(each);
        const last = this.current[this.current.length - 1];
        if (Math.hypot(next.x - last.x, next.y - last.y) < 0.8) continue;
        this.current.push(next);
        this.drawSegment(last, next);
      }
    }

    end(event) {
      if (!this.current) return;
      event.preventDefault();
      this.current = null;
      this.onChange(this);
    }

    redraw() {
      const box = this.canvas.getBoundingClientRect();
      this.context.fillStyle = "#ffffff";
      this.context.fillRect(0, 0, box.width, box.height);
      for (const stroke of this.strokes) {
        this.drawDot(stroke[0]);
        for (let i = 1; i < stroke.length; i += 1) this.drawSegment(stroke[i - 1], stroke[i]);
      }
    }

    drawDot(p) {
      this.context.fillStyle = "#0b1f44";
      this.context.beginPath();
      this.context.arc(p.x, p.y, p.w / 2, 0, 2 * Math.PI);
      this.context.fill();
    }

    drawSegment(a, b) {
      const c = this.context;
      c.strokeStyle = "#0b1f44";
      c.lineCap = "round";
      c.lineJoin = "round";
      c.lineWidth = (a.w + b.w) / 2;
      c.beginPath();
      c.moveTo(a.x, a.y);
      c.lineTo(b.x, b.y);
      c.stroke();
    }
  }

  window.SignaturePad = SignaturePad;
})();
