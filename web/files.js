// Files added to a collection from the page (the knowledge view, files attached to a chat):
// uploaded with a progress bar, then followed while they are ingested.
import { request, upload } from "./api.js";
import { h } from "./dom.js";

/**
 * Uploads `file`, adds it to `collection`, and follows its ingestion to the end, showing a row
 * (name, progress bar, status) in `list`. Resolves to whether the file is searchable; never throws.
 */
export async function addFile(collection, file, list) {
  const label = file.webkitRelativePath || file.name;
  const bar = h("progress", { max: 1, value: 0, "aria-label": `Progress of ${label}` });
  const status = h("span", { class: "status" }, "uploading");
  list.append(h("li", { "data-file": label }, h("span", { class: "name" }, label), bar, status));
  try {
    const uploaded = await upload(file, (fraction) => { bar.value = fraction * 0.5; });
    bar.value = 0.5;
    status.textContent = "ingesting";
    const path = `/v1/vector_stores/${encodeURIComponent(collection)}/files`;
    let entry = await request("POST", path, { file_id: uploaded.id });
    while (entry.status === "in_progress") {
      await new Promise((resolve) => setTimeout(resolve, 400));
      entry = await request("GET", `${path}/${encodeURIComponent(uploaded.id)}`);
    }
    if (entry.status !== "completed") throw new Error(entry.last_error?.message ?? entry.status);
    bar.value = 1;
    status.textContent = "done";
    return true;
  } catch (error) {
    status.textContent = `failed: ${error.message}`;
    status.classList.add("failed");
    return false;
  }
}
