// Voice in the chat: the microphone records into a WAV file that /v1/audio/transcriptions
// turns into text; answers are read aloud by /v1/audio/speech. Both are Hearth's own
// endpoints, with the page's session.

import { APIError } from "./api.js";

/** Whether this browser can record from a microphone here (a secure page: https or localhost). */
export function canRecord() {
  return Boolean(navigator.mediaDevices?.getUserMedia && (window.AudioContext || window.webkitAudioContext));
}

/**
 * Starts recording from the microphone; the returned function stops it and gives the
 * recording as a 16-bit mono WAV Blob (at the device's rate: the server resamples).
 */
export async function record() {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true } });
  const context = new (window.AudioContext || window.webkitAudioContext)();
  const source = context.createMediaStreamSource(stream);
  // ScriptProcessorNode is deprecated but everywhere, and needs no module served apart.
  const processor = context.createScriptProcessor(4096, 1, 1);
  const chunks = [];
  processor.onaudioprocess = (event) => chunks.push(new Float32Array(event.inputBuffer.getChannelData(0)));
  source.connect(processor);
  processor.connect(context.destination);
  return async function stop() {
    processor.disconnect();
    source.disconnect();
    stream.getTracks().forEach((track) => track.stop());
    const rate = context.sampleRate;
    await context.close();
    return wav(chunks, rate);
  };
}

/** Float samples as a 16-bit PCM WAV file. */
function wav(chunks, rate) {
  const count = chunks.reduce((total, chunk) => total + chunk.length, 0);
  const view = new DataView(new ArrayBuffer(44 + count * 2));
  const text = (offset, value) => [...value].forEach((c, i) => view.setUint8(offset + i, c.charCodeAt(0)));
  text(0, "RIFF"); view.setUint32(4, 36 + count * 2, true); text(8, "WAVEfmt ");
  view.setUint32(16, 16, true); view.setUint16(20, 1, true); view.setUint16(22, 1, true);
  view.setUint32(24, rate, true); view.setUint32(28, rate * 2, true); view.setUint16(32, 2, true); view.setUint16(34, 16, true);
  text(36, "data"); view.setUint32(40, count * 2, true);
  let offset = 44;
  for (const chunk of chunks) {
    for (const sample of chunk) {
      view.setInt16(offset, Math.max(-1, Math.min(1, sample)) * 32767, true);
      offset += 2;
    }
  }
  return new Blob([view.buffer], { type: "audio/wav" });
}

async function check(response) {
  if (response.ok) return response;
  let message = `${response.status} ${response.statusText}`;
  try { message = (await response.json())?.error?.message ?? message; } catch { /* not JSON */ }
  throw new APIError(message, response.status);
}

/** The text said in a recording (POST /v1/audio/transcriptions). Throws APIError. */
export async function transcribe(blob) {
  const form = new FormData();
  form.append("file", blob, "speech.wav");
  form.append("response_format", "json");
  const response = await check(await fetch("/v1/audio/transcriptions", {
    method: "POST", body: form, credentials: "same-origin", headers: { "X-Hearth-CSRF": "1" },
  }));
  return (await response.json()).text ?? "";
}

/** Plays `text` aloud (POST /v1/audio/speech); returns the playing Audio element. Throws APIError. */
export async function speak(text, signal) {
  const response = await check(await fetch("/v1/audio/speech", {
    method: "POST", signal, credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-Hearth-CSRF": "1" },
    body: JSON.stringify({ model: "tts-1", voice: "alloy", input: text.slice(0, 4096), response_format: "mp3" }),
  }));
  const audio = new Audio(URL.createObjectURL(await response.blob()));
  audio.addEventListener("ended", () => URL.revokeObjectURL(audio.src), { once: true });
  await audio.play();
  return audio;
}
