// An on-screen signature: a canvas drawn with a finger (pointer events), read back as a PNG.
export function signaturePad() {
  const canvas = document.createElement("canvas");
  canvas.className = "signature";
  canvas.setAttribute("aria-label", "签名区");
  let drawn = false;
  let fitted = false;
  let last = null;
  const context = () => canvas.getContext("2d");
  const fit = () => {
    fitted = true;
    const ratio = window.devicePixelRatio || 1;
    canvas.width = canvas.clientWidth * ratio;
    canvas.height = canvas.clientHeight * ratio;
    const ink = context();
    ink.scale(ratio, ratio);
    ink.lineWidth = 2.5;
    ink.lineCap = "round";
    ink.strokeStyle = "#1d2129";
  };
  const point = (event) => {
    const box = canvas.getBoundingClientRect();
    return [event.clientX - box.left, event.clientY - box.top];
  };
  canvas.addEventListener("pointerdown", (event) => {
    if (!fitted) fit();
    canvas.setPointerCapture(event.pointerId);
    last = point(event);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!last) return;
    const next = point(event);
    const ink = context();
    ink.beginPath();
    ink.moveTo(...last);
    ink.lineTo(...next);
    ink.stroke();
    last = next;
    drawn = true;
  });
  const stop = () => { last = null; };
  canvas.addEventListener("pointerup", stop);
  canvas.addEventListener("pointercancel", stop);
  return {
    canvas,
    isEmpty: () => !drawn,
    png: () => canvas.toDataURL("image/png"),
    clear: () => { fit(); drawn = false; },
  };
}
