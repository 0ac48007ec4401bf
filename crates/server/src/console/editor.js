// Live findings for policy documents: as a person types, the document is checked by the
// policy engine (POST /console/validate) and its first finding shown under the editor.
// The forms work without this script; it only tells sooner what saving would tell.
"use strict";
document.querySelectorAll("textarea[data-policy]").forEach((editor) => {
  const form = editor.closest("form");
  const csrf = form && form.querySelector("input[name=csrf]");
  if (!csrf) return;
  const finding = document.createElement("p");
  finding.className = "finding";
  finding.setAttribute("role", "status");
  finding.id = editor.id + "-finding";
  editor.setAttribute("aria-describedby", finding.id);
  editor.after(finding);
  let timer = null;
  let asked = 0;
  const check = async () => {
    const mine = ++asked;
    const body = new URLSearchParams({ csrf: csrf.value, kind: editor.dataset.policy, document: editor.value });
    try {
      const answer = await fetch("/console/validate", { method: "POST", body, credentials: "same-origin" });
      const text = await answer.text();
      if (mine !== asked) return;
      finding.textContent = text;
      finding.classList.toggle("bad", !answer.ok);
    } catch (_) {
      // Offline or signed out: saving will say what is wrong.
    }
  };
  editor.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  });
});
