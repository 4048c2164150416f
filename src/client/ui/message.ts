/**
 * A centred panel for loading progress and fatal errors. One element, created on first use
 * and reused; text only (textContent), never HTML.
 */
export class MessagePanel {
  private readonly root: HTMLDivElement;
  private readonly title: HTMLHeadingElement;
  private readonly body: HTMLParagraphElement;

  constructor(parent: HTMLElement = document.body) {
    this.root = document.createElement("div");
    this.root.className = "message-panel";
    this.root.setAttribute("role", "status");
    this.title = document.createElement("h1");
    this.body = document.createElement("p");
    this.root.append(this.title, this.body);
    parent.append(this.root);
  }

  show(title: string, body = ""): void {
    this.title.textContent = title;
    this.body.textContent = body;
    this.root.hidden = false;
  }

  /** Shows a fatal error (the panel gets the error styling and role="alert"). */
  showError(title: string, body: string): void {
    this.root.classList.add("error");
    this.root.setAttribute("role", "alert");
    this.show(title, body);
  }

  hide(): void {
    this.root.hidden = true;
  }
}
