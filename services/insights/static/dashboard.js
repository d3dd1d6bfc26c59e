/*
 * Dasbor Pembimbingan Kemandirian: draws the programme's figures for one scope.
 *
 * Why it exists: ministry, regional and office staff need the figures at a glance,
 * fresh within a second of the event that changes them. The server renders, into
 * the page, which figures path the signed-in caller reads (#dashboard-config); this
 * script fetches that JSON with the session cookie, polls the cheap as-of endpoint
 * every second and redraws when another event was applied, never reloading the page.
 *
 * Charts are inline SVG made here: nothing is loaded from outside the deployment.
 * Every number shown carries data-figure (the figure's name in the API), data-value
 * (its raw value; empty for null) and, in breakdowns, data-breakdown and data-key,
 * so that a test or a screen scraper reads exactly what the API said.
 * Text is always inserted as text nodes, never as HTML.
 */
"use strict";

(function () {
  const config = JSON.parse(document.getElementById("dashboard-config").textContent);

  const SVG_NS = "http://www.w3.org/2000/svg";
  const POLL_MS = 1000;
  const MONTHS_SHOWN = 12;
  const NAMES_LISTED = 12;

  const integerFormat = new Intl.NumberFormat("id-ID");
  const percentFormat = new Intl.NumberFormat("id-ID", {
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  });
  const asOfFormat = new Intl.DateTimeFormat("id-ID", {
    day: "numeric",
    month: "long",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    timeZoneName: "short",
  });
  const dayFormat = new Intl.DateTimeFormat("id-ID", {
    day: "numeric",
    month: "short",
    year: "numeric",
    timeZone: "UTC",
  });
  const monthFormat = new Intl.DateTimeFormat("id-ID", {
    month: "long",
    year: "numeric",
    timeZone: "UTC",
  });

  const REASONS = [
    ["employed", "Sudah bekerja"],
    ["moved", "Pindah domisili"],
    ["health", "Kesehatan"],
    ["non_attendance", "Tidak hadir"],
    ["revoked", "Pembebasan dicabut"],
    ["other", "Lainnya"],
  ];

  const END_REASONS = [
    ["resigned", "Mengundurkan diri"],
    ["dismissed", "Diberhentikan"],
    ["contract_ended", "Kontrak selesai"],
    ["reoffended", "Mengulangi tindak pidana"],
    ["revoked", "Pembebasan dicabut"],
    ["moved", "Pindah domisili"],
    ["other", "Lainnya"],
  ];

  // The level's breakdown by place, and the words for its rows.
  const OFFICE_BREAKDOWNS = {
    national: {
      name: "by_province",
      heading: "Per provinsi",
      caption: "per provinsi",
      noun: "provinsi",
      column: "Provinsi",
    },
    province: {
      name: "by_bapas",
      heading: "Per Bapas",
      caption: "per Bapas",
      noun: "Bapas",
      column: "Bapas",
    },
    bapas: {
      name: "by_pokmas",
      heading: "Per Pokmas",
      caption: "per Pokmas",
      noun: "Pokmas",
      column: "Pokmas",
    },
  };

  const OFFICE_COLUMNS = [
    ["klien_released", "Dilepas"],
    ["enrolments", "Terdaftar pelatihan"],
    ["completions", "Selesai"],
    ["completion_rate", "Tingkat penyelesaian"],
    ["klien_employed", "Bekerja"],
    ["employment_rate_after_training", "Bekerja setelah pelatihan"],
    ["reoffence_rate", "Residivisme"],
    ["mous_active", "MoU aktif"],
    ["mous_expiring_within_30_days", "MoU berakhir ≤ 30 hari"],
    ["withdrawn_for_work_unrecorded", "Pekerjaan belum dicatat"],
    ["klien_revocation_pending", "Menunggu keputusan pencabutan"],
  ];
  const WARN_WHEN_POSITIVE = new Set([
    "mous_expiring_within_30_days",
    "withdrawn_for_work_unrecorded",
    "klien_revocation_pending",
  ]);

  const state = {
    period: { from: "", to: "" },
    seenKey: null,
    loading: false,
    again: false,
    againKey: null,
    online: true,
    rendered: false,
    showQuiet: false,
  };

  // ---------------------------------------------------------------- helpers

  function setAttributes(node, attributes) {
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      node.setAttribute(name, value === true ? "" : String(value));
    }
  }

  function append(node, children) {
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    setAttributes(node, attributes);
    return append(node, children);
  }

  function svg(tag, attributes, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    setAttributes(node, attributes);
    return append(node, children);
  }

  const RATES = new Set([
    "completion_rate",
    "employment_rate_after_training",
    "reoffence_rate",
    "retention_rate_6_months",
  ]);

  function isRate(name) {
    return RATES.has(name);
  }

  function formatCount(value) {
    return value === null || value === undefined ? "—" : integerFormat.format(value);
  }

  function formatRate(value) {
    return value === null || value === undefined
      ? "—"
      : percentFormat.format(value * 100) + "\u00a0%";
  }

  function format(name, value) {
    return isRate(name) ? formatRate(value) : formatCount(value);
  }

  function pick(figures, name) {
    // "withdrawals_by_reason.employed" reads a key of a map figure.
    return name.split(".").reduce((value, part) => (value == null ? null : value[part]), figures);
  }

  // One number as shown on the page, with the attributes that say what it is.
  function number(figures, name, options) {
    const opts = options || {};
    const value = pick(figures, name);
    const attributes = {
      class: "num " + (opts.class || ""),
      "data-figure": name,
      "data-value": value === null || value === undefined ? "" : String(value),
      "data-breakdown": opts.breakdown,
      "data-key": opts.key,
      "data-chart": opts.chart,
    };
    if (value === null || value === undefined) attributes.title = "belum ada data";
    return el(opts.tag || "span", attributes, format(name, value));
  }

  function sumOf(figures, names) {
    return names.reduce((total, name) => total + (pick(figures, name) || 0), 0);
  }

  function nameOfRow(breakdown, row) {
    if (breakdown === "by_skill") return config.skills[row.key] || row.key;
    if (breakdown === "by_province") return config.provinces[row.key] || row.key;
    if (breakdown === "by_bapas") return row.name || config.offices[row.key] || row.key;
    if (breakdown === "by_month") return monthName(row.key);
    return row.name || row.key;
  }

  function monthName(key) {
    const [year, month] = key.split("-").map(Number);
    return monthFormat.format(new Date(Date.UTC(year, month - 1, 1)));
  }

  function byName(breakdown) {
    return (a, b) => nameOfRow(breakdown, a).localeCompare(nameOfRow(breakdown, b), "id");
  }

  function namesSentence(names, noun) {
    if (names.length === 0) return null;
    if (names.length > NAMES_LISTED) return `Belum ada data untuk ${names.length} ${noun} lainnya.`;
    return "Belum ada data: " + names.join(", ") + ".";
  }

  // --------------------------------------------------------------- rendering

  function render(answer) {
    const totals = answer.totals;
    if (answer.scope && answer.scope.name) {
      document.getElementById("scope-title").textContent = answer.scope.name;
      document.title = `Dasbor ${answer.scope.name} — Pembimbingan Kemandirian`;
    }
    renderAsOf(answer.as_of);
    renderPeriodLabel(answer.period || {});
    renderTotals(totals);
    renderFunnel(totals);
    renderAttention(answer);
    renderSkillCharts(answer.by_skill || []);
    renderWork(totals);
    renderSupervision(totals);
    renderOffices(answer);
    renderMonths(answer.by_month || []);
    renderDetails(totals);
    document.getElementById("isi").setAttribute("aria-busy", "false");
  }

  function renderAsOf(asOf) {
    const target = document.getElementById("as-of");
    if (!asOf) {
      target.replaceChildren(
        el("span", { "data-figure": "as_of", "data-value": "" }, "Belum ada peristiwa yang tercatat"),
      );
      return;
    }
    const time = el(
      "time",
      { datetime: asOf, "data-figure": "as_of", "data-value": asOf },
      asOfFormat.format(new Date(asOf)),
    );
    target.replaceChildren("Data per ", time);
  }

  function renderPeriodLabel(period) {
    const from = period.from ? dayFormat.format(new Date(period.from + "T00:00:00Z")) : null;
    const to = period.to ? dayFormat.format(new Date(period.to + "T00:00:00Z")) : null;
    let text = "semua waktu";
    if (from && to) text = `${from} – ${to}`;
    else if (from) text = `sejak ${from}`;
    else if (to) text = `sampai ${to}`;
    const label = document.getElementById("period-label");
    label.textContent = text;
    label.dataset.from = period.from || "";
    label.dataset.to = period.to || "";
  }

  function card(totals, name, label, note, ...sub) {
    if (pick(totals, name) === null && !isRate(name)) return null; // not applicable here
    return el(
      "div",
      { class: "card" + (isRate(name) ? " card-rate" : "") },
      el("p", { class: "card-label" }, label),
      number(totals, name, { class: "card-value" }),
      note ? el("p", { class: "card-note" }, note) : null,
      sub.length ? el("p", { class: "card-sub" }, sub) : null,
    );
  }

  function renderTotals(t) {
    const employedSub =
      t.klien_employed_within_6_months_of_release === null
        ? null
        : [
            number(t, "klien_employed_within_6_months_of_release"),
            " bekerja ≤ 6 bulan setelah bebas",
          ];
    const reoffenceSub =
      t.reoffence_rate === null && t.klien_released === null
        ? null
        : ["tingkat residivisme ", number(t, "reoffence_rate")];
    const cards = [
      card(t, "klien_released", "Klien dilepas", "masuk integrasi dalam periode"),
      card(t, "klien_under_supervision", "Dalam pembimbingan", "saat ini"),
      card(t, "enrolments", "Pendaftaran pelatihan", "dalam periode"),
      card(t, "completions", "Pelatihan selesai", null, [
        number(t, "completions_competent"),
        " dinyatakan kompeten",
      ]),
      card(t, "completion_rate", "Tingkat penyelesaian", null, [
        number(t, "completions"),
        " selesai · ",
        number(t, "withdrawals"),
        " mengundurkan diri",
      ]),
      card(t, "klien_employed", "Klien bekerja", null, employedSub),
      card(t, "employment_rate_after_training", "Bekerja setelah pelatihan", null, [
        number(t, "klien_employed_after_training"),
        " dari ",
        number(t, "klien_completed"),
        " klien lulus",
      ]),
      card(t, "klien_reoffended", "Mengulangi tindak pidana", null, reoffenceSub),
    ];
    document.getElementById("totals").replaceChildren(...cards.filter(Boolean));
  }

  function renderFunnel(t) {
    // At a Pokmas, the funnel starts at its enrolments and ends at its graduates' work.
    const fromRelease = t.klien_released !== null && t.klien_released !== undefined;
    document.getElementById("h-funnel").textContent = fromRelease
      ? "Dari bebas ke bekerja"
      : "Dari pelatihan ke bekerja";
    document.getElementById("funnel-lead").textContent = fromRelease
      ? "Klien dilepas, pendaftaran pelatihan, pelatihan selesai, dan klien yang bekerja dalam periode ini."
      : "Pendaftaran pelatihan, pelatihan selesai, dan lulusan yang mulai bekerja sesudahnya.";
    const employed =
      t.klien_employed !== null && t.klien_employed !== undefined
        ? "klien_employed"
        : "klien_employed_after_training";
    const steps = [
      ["klien_released", "Dilepas", "tone-released"],
      ["enrolments", "Terdaftar pelatihan", "tone-enrolled"],
      ["completions", "Selesai pelatihan", "tone-completion"],
      [employed, "Bekerja", "tone-employment"],
    ].filter(([name]) => t[name] !== null && t[name] !== undefined);
    const max = Math.max(1, ...steps.map(([name]) => t[name]));
    const width = 540;
    const labelWidth = 170;
    const barSpace = width - labelWidth - 40;
    const rowHeight = 50;
    const gap = 20;
    const height = steps.length * rowHeight + (steps.length - 1) * gap;
    const centre = labelWidth + 10 + barSpace / 2;
    const summary = steps.map(([name, label]) => `${label}: ${formatCount(t[name])}`).join(", ");
    const chart = svg("svg", {
      viewBox: `0 0 ${width} ${height}`,
      role: "img",
      "aria-labelledby": "funnel-title",
      class: "funnel-svg",
    });
    chart.append(svg("title", { id: "funnel-title" }, "Corong: " + summary));
    let previous = null;
    steps.forEach(([name, label, tone], index) => {
      const value = t[name];
      const barWidth = Math.max(6, (value / max) * barSpace);
      const x = centre - barWidth / 2;
      const y = index * (rowHeight + gap);
      if (previous) {
        chart.append(
          svg("polygon", {
            class: "funnel-link",
            points: [
              `${previous.x},${previous.y + rowHeight}`,
              `${previous.x + previous.width},${previous.y + rowHeight}`,
              `${x + barWidth},${y}`,
              `${x},${y}`,
            ].join(" "),
          }),
        );
      }
      chart.append(
        svg("rect", {
          class: `bar-fill ${tone}`,
          x,
          y,
          width: barWidth,
          height: rowHeight,
          rx: 4,
        }),
        svg(
          "text",
          { class: "funnel-label", x: 0, y: y + rowHeight / 2, "dominant-baseline": "central" },
          label,
        ),
      );
      const inside = barWidth > 90;
      chart.append(
        svg(
          "text",
          {
            class: "funnel-value" + (inside ? " funnel-value-inside" : ""),
            x: inside ? centre : x + barWidth + 8,
            y: y + rowHeight / 2,
            "text-anchor": inside ? "middle" : "start",
            "dominant-baseline": "central",
            "data-figure": name,
            "data-value": String(value),
            "data-chart": "funnel",
          },
          formatCount(value),
        ),
      );
      previous = { x, y, width: barWidth };
    });
    document.getElementById("funnel").replaceChildren(chart);
  }

  function attentionItem(kind, figures, name, title, explanation, extra) {
    const value = pick(figures, name);
    const warn = value > 0;
    return el(
      "div",
      { class: "attention-item" + (warn ? " attention-warn" : " attention-ok"), "data-attention": kind },
      el(
        "div",
        { class: "attention-head" },
        number(figures, name, { class: "attention-value" }),
        el("h3", null, title),
      ),
      el("p", null, explanation(warn)),
      extra || null,
    );
  }

  function renderAttention(answer) {
    const t = answer.totals;
    const office = OFFICE_BREAKDOWNS[config.level];
    let where = null;
    if (office && t.withdrawn_for_work_unrecorded > 0) {
      const rows = (answer[office.name] || [])
        .filter((row) => row.withdrawn_for_work_unrecorded > 0)
        .sort((a, b) => b.withdrawn_for_work_unrecorded - a.withdrawn_for_work_unrecorded);
      if (rows.length) {
        where = el(
          "p",
          { class: "attention-where" },
          "Di ",
          rows.slice(0, 6).map((row, index) => [
            index ? ", " : "",
            nameOfRow(office.name, row),
            " (",
            number(row, "withdrawn_for_work_unrecorded", { breakdown: office.name, key: row.key }),
            ")",
          ]),
          rows.length > 6 ? ", …" : "",
        );
      }
    }
    const items = [
      t.klien_revocation_pending === null || t.klien_revocation_pending === undefined
        ? null
        : attentionItem(
            "revocation",
            t,
            "klien_revocation_pending",
            "Menunggu keputusan pencabutan",
            (warn) =>
              warn
                ? "Klien ini tiga kali berturut-turut tidak melapor diri dan direkomendasikan " +
                  "untuk dicabut integrasinya, dan belum melapor lagi sejak itu. " +
                  "PK dan Bapas-nya sudah diberi tahu: putuskan pencabutan atau pembinaan lanjutan."
                : "Tidak ada klien yang menunggu keputusan pencabutan saat ini.",
          ),
      attentionItem(
        "data-quality",
        t,
        "withdrawn_for_work_unrecorded",
        "Pekerjaan belum dicatat",
        (warn) =>
          warn
            ? "Klien ini mengundurkan diri karena bekerja tetapi belum ada catatan pekerjaan. " +
              "Pengunduran diri bukan catatan pekerjaan: catat pekerjaan mereka (tanggal mulai, " +
              "jenis pekerjaan) di data klien agar terhitung sebagai klien bekerja."
            : "Semua klien yang mengundurkan diri karena bekerja sudah punya catatan pekerjaan.",
        where,
      ),
      attentionItem(
        "mou",
        t,
        "mous_expiring_within_30_days",
        "MoU berakhir dalam 30 hari",
        (warn) =>
          warn
            ? "Perpanjang atau siapkan MoU pengganti sebelum berakhir, " +
              "agar pelatihan yang berjalan tidak ditangguhkan."
            : "Tidak ada MoU yang berakhir dalam 30 hari ke depan.",
        el("p", { class: "attention-where" }, number(t, "mous_active"), " MoU aktif saat ini."),
      ),
      attentionItem(
        "suspended",
        t,
        "enrolments_suspended",
        "Pendaftaran ditangguhkan",
        (warn) =>
          warn
            ? "Pelatihan terhenti karena MoU Pokmas-nya berakhir atau diputus. " +
              "Lanjutkan setelah MoU diperpanjang, atau pindahkan klien ke program lain."
            : "Tidak ada pendaftaran yang ditangguhkan saat ini.",
      ),
    ];
    document.getElementById("attention").replaceChildren(...items.filter(Boolean));
  }

  // A bar chart of one rate over the rows of a breakdown; rows without data are named below.
  function rateChart(target, spec) {
    const withData = spec.rows.filter((row) => row[spec.figure] !== null && row[spec.figure] !== undefined);
    const without = spec.rows.filter((row) => row[spec.figure] === null || row[spec.figure] === undefined);
    withData.sort((a, b) => b[spec.figure] - a[spec.figure] || byName(spec.breakdown)(a, b));
    without.sort(byName(spec.breakdown));
    const list = el("div", { class: "bars", role: "list" });
    for (const row of withData) {
      const value = row[spec.figure];
      const name = nameOfRow(spec.breakdown, row);
      list.append(
        el(
          "div",
          { class: "bar-row", role: "listitem" },
          el("span", { class: "bar-label", title: name }, name),
          svg(
            "svg",
            { class: "bar", viewBox: "0 0 100 10", preserveAspectRatio: "none", "aria-hidden": "true" },
            svg("rect", { class: "bar-track", x: 0, y: 0, width: 100, height: 10 }),
            svg("rect", {
              class: `bar-fill ${spec.tone}`,
              x: 0,
              y: 0,
              width: Math.max(0.5, Math.min(1, value) * 100),
              height: 10,
            }),
          ),
          el(
            "span",
            { class: "bar-value" },
            number(row, spec.figure, { breakdown: spec.breakdown, key: row.key, chart: spec.chart }),
          ),
          el("span", { class: "bar-count" }, spec.counts(row)),
        ),
      );
    }
    target.replaceChildren(
      el("figcaption", null, el("h3", null, spec.title), el("p", { class: "caption" }, spec.caption)),
      withData.length ? list : el("p", { class: "empty" }, spec.empty),
      el(
        "p",
        { class: "muted" },
        withData.length
          ? namesSentence(
              without.map((row) => nameOfRow(spec.breakdown, row)),
              spec.noun,
            )
          : null,
      ),
    );
  }

  function completionCounts(breakdown) {
    return (row) => [
      number(row, "completions", { breakdown, key: row.key }),
      " selesai, ",
      number(row, "withdrawals", { breakdown, key: row.key }),
      " mundur",
    ];
  }

  function employmentCounts(breakdown) {
    return (row) => [
      number(row, "klien_employed_after_training", { breakdown, key: row.key }),
      " dari ",
      number(row, "klien_completed", { breakdown, key: row.key }),
      " lulus",
    ];
  }

  function renderSkillCharts(rows) {
    rateChart(document.getElementById("skill-completion"), {
      rows,
      figure: "completion_rate",
      breakdown: "by_skill",
      chart: "skill-completion",
      tone: "tone-completion",
      title: "Tingkat penyelesaian pelatihan",
      caption: "Selesai ÷ (selesai + mengundurkan diri)",
      empty: "Belum ada pelatihan yang selesai atau dihentikan dalam periode ini.",
      noun: "keterampilan",
      counts: completionCounts("by_skill"),
    });
    rateChart(document.getElementById("skill-employment"), {
      rows,
      figure: "employment_rate_after_training",
      breakdown: "by_skill",
      chart: "skill-employment",
      tone: "tone-employment",
      title: "Bekerja setelah pelatihan",
      caption: "Klien lulus yang mulai bekerja sesudahnya ÷ klien lulus",
      empty: "Belum ada klien yang lulus pelatihan dalam periode ini.",
      noun: "keterampilan",
      counts: employmentCounts("by_skill"),
    });
  }

  // Employers, vacancies and placements; a Pokmas has none of them.
  function renderWork(t) {
    const section = document.getElementById("work-section");
    if (t.employers_pledged === null || t.employers_pledged === undefined) {
      section.hidden = true;
      return;
    }
    section.hidden = false;
    document.getElementById("work").replaceChildren(
      card(t, "employers_pledged", "Pemberi kerja berikrar", "ikrar kesempatan kedua dalam periode"),
      card(t, "vacancies_posted", "Lowongan dibuka", null, [
        number(t, "positions_offered"),
        " posisi ditawarkan",
      ]),
      card(t, "klien_placed", "Klien ditempatkan", "mulai bekerja lewat penempatan"),
      card(t, "placements_retained_6_weeks", "Masih bekerja 6 minggu", null, [
        "dari ",
        number(t, "placements_checked_6_weeks"),
        " diperiksa",
      ]),
      card(t, "retention_rate_6_months", "Bertahan 6 bulan", null, [
        number(t, "placements_retained_6_months"),
        " dari ",
        number(t, "placements_checked_6_months"),
        " diperiksa",
      ]),
      card(t, "placements_ended", "Penempatan berakhir", "dalam periode"),
    );
    document.getElementById("work-ended").replaceChildren(
      reasonList(t, "placements_ended", "placements_ended_by_reason", END_REASONS, {
        title: "Alasan penempatan berakhir",
        tone: "tone-withdrawn",
      }),
    );
  }

  // Wajib lapor, revocation recommended and moves between offices; a Pokmas has none.
  function renderSupervision(t) {
    const section = document.getElementById("supervision-section");
    if (t.reports_missed === null || t.reports_missed === undefined) {
      section.hidden = true;
      return;
    }
    section.hidden = false;
    document.getElementById("supervision").replaceChildren(
      card(t, "klien_revocation_pending", "Menunggu keputusan pencabutan", "saat ini"),
      card(
        t,
        "klien_recommended_for_revocation",
        "Direkomendasikan dicabut",
        "klien yang 3 kali berturut-turut tidak melapor, dalam periode",
      ),
      card(t, "reports_recorded", "Laporan diri tercatat", null, [
        number(t, "reports_recorded_by_status.reported"),
        " tepat waktu · ",
        number(t, "reports_recorded_by_status.late"),
        " terlambat · ",
        number(t, "reports_recorded_by_status.excused"),
        " dimaafkan",
      ]),
      card(t, "reports_missed", "Tidak melapor", "jadwal wajib lapor yang terlewat dalam periode"),
      card(t, "transfers_in", "Pindahan masuk", null, [
        number(t, "transfers_out"),
        " pindah ke Bapas lain",
      ]),
    );
  }

  function renderOffices(answer) {
    const section = document.getElementById("office-section");
    const office = OFFICE_BREAKDOWNS[config.level];
    const rows = office ? answer[office.name] : null;
    if (!office || !Array.isArray(rows)) {
      section.hidden = true;
      return;
    }
    section.hidden = false;
    document.getElementById("h-office").textContent = office.heading;
    rateChart(document.getElementById("office-completion"), {
      rows,
      figure: "completion_rate",
      breakdown: office.name,
      chart: "office-completion",
      tone: "tone-completion",
      title: "Tingkat penyelesaian pelatihan",
      caption: "Selesai ÷ (selesai + mengundurkan diri)",
      empty: "Belum ada pelatihan yang selesai atau dihentikan dalam periode ini.",
      noun: office.noun,
      counts: completionCounts(office.name),
    });
    rateChart(document.getElementById("office-employment"), {
      rows,
      figure: "employment_rate_after_training",
      breakdown: office.name,
      chart: "office-employment",
      tone: "tone-employment",
      title: "Bekerja setelah pelatihan",
      caption: "Klien lulus yang mulai bekerja sesudahnya ÷ klien lulus",
      empty: "Belum ada klien yang lulus pelatihan dalam periode ini.",
      noun: office.noun,
      counts: employmentCounts(office.name),
    });
    renderOfficeTable(office, rows);
  }

  function renderOfficeTable(office, rows) {
    const target = document.getElementById("office-table");
    if (!rows.length) {
      target.replaceChildren(el("p", { class: "empty" }, `Belum ada ${office.noun} di cakupan ini.`));
      return;
    }
    const columns = OFFICE_COLUMNS.filter(([name]) => rows.some((row) => row[name] !== null));
    const activity = (row) =>
      sumOf(row, ["klien_released", "enrolments", "completions", "withdrawals", "mous_active"]);
    const quiet = (row) =>
      sumOf(row, [
        ...columns.map(([name]) => name).filter((name) => !isRate(name)),
        "klien_under_supervision",
      ]) === 0;
    const sorted = [...rows].sort(
      (a, b) =>
        Number(quiet(a)) - Number(quiet(b)) || activity(b) - activity(a) || byName(office.name)(a, b),
    );
    const quietCount = sorted.filter(quiet).length;
    const collapse = quietCount > 3;
    const table = el(
      "table",
      { class: "office-table", id: "office-rows" },
      el("caption", null, `Angka utama ${office.caption}, yang paling aktif di atas`),
      el(
        "thead",
        null,
        el(
          "tr",
          null,
          el("th", { scope: "col" }, office.column),
          columns.map(([, label]) => el("th", { scope: "col", class: "n" }, label)),
        ),
      ),
      el(
        "tbody",
        null,
        sorted.map((row) =>
          el(
            "tr",
            {
              class: quiet(row) ? "quiet" : null,
              hidden: collapse && quiet(row) && !state.showQuiet,
              "data-key": row.key,
            },
            el("th", { scope: "row" }, nameOfRow(office.name, row)),
            columns.map(([name]) =>
              el(
                "td",
                { class: "n" + (WARN_WHEN_POSITIVE.has(name) && row[name] > 0 ? " warn" : "") },
                number(row, name, { breakdown: office.name, key: row.key }),
              ),
            ),
          ),
        ),
      ),
    );
    let toggle = null;
    if (collapse) {
      toggle = el(
        "button",
        {
          type: "button",
          class: "button button-quiet",
          "aria-controls": "office-rows",
          "aria-expanded": String(state.showQuiet),
        },
        state.showQuiet
          ? `Sembunyikan ${quietCount} ${office.noun} yang belum berkegiatan`
          : `Tampilkan ${quietCount} ${office.noun} yang belum berkegiatan`,
      );
      toggle.addEventListener("click", () => {
        state.showQuiet = !state.showQuiet;
        renderOfficeTable(office, rows);
        document.querySelector("#office-table .button-quiet").focus();
      });
    }
    target.replaceChildren(table, toggle || "");
  }

  function renderMonths(rows) {
    const section = document.getElementById("month-section");
    if (!rows.length) {
      section.hidden = true;
      return;
    }
    section.hidden = false;
    const shown = rows.slice(-MONTHS_SHOWN).reverse();
    const names = [
      ["klien_released", "Dilepas", "tone-released"],
      ["enrolments", "Terdaftar", "tone-enrolled"],
      ["completions", "Selesai", "tone-completion"],
      ["klien_employed", "Bekerja", "tone-employment"],
    ].filter(([name]) => shown.some((row) => row[name] !== null));
    const max = Object.fromEntries(
      names.map(([name]) => [name, Math.max(1, ...shown.map((row) => row[name] || 0))]),
    );
    const table = el(
      "table",
      { class: "month-table" },
      el(
        "caption",
        null,
        rows.length > MONTHS_SHOWN
          ? `${MONTHS_SHOWN} bulan terakhir dari ${rows.length}; unduh CSV per bulan untuk semuanya`
          : "Menurut tanggal peristiwa",
      ),
      el(
        "thead",
        null,
        el("tr", null, el("th", { scope: "col" }, "Bulan"), names.map(([, label]) => el("th", { scope: "col" }, label))),
      ),
      el(
        "tbody",
        null,
        shown.map((row) =>
          el(
            "tr",
            null,
            el("th", { scope: "row" }, monthName(row.key)),
            names.map(([name, , tone]) =>
              el(
                "td",
                { class: "month-cell" },
                number(row, name, { breakdown: "by_month", key: row.key }),
                svg(
                  "svg",
                  { class: "mini-bar", viewBox: "0 0 100 6", preserveAspectRatio: "none", "aria-hidden": "true" },
                  svg("rect", {
                    class: `bar-fill ${tone}`,
                    x: 0,
                    y: 0,
                    width: ((row[name] || 0) / max[name]) * 100,
                    height: 6,
                  }),
                ),
              ),
            ),
          ),
        ),
      ),
    );
    document.getElementById("months").replaceChildren(table);
  }

  function detail(figures, name, label) {
    if (pick(figures, name) === null) return null;
    return el("div", { class: "detail" }, el("dt", null, label), el("dd", null, number(figures, name)));
  }

  // A count and its map by reason, each reason with a bar of its share of the count.
  function reasonList(t, total, map, reasons, options) {
    const whole = t[total] || 0;
    return el(
      "div",
      { class: "detail-group" },
      el("h3", null, options.title),
      el(
        "ul",
        { class: "reasons" },
        reasons.map(([code, label]) => {
          const value = t[map] ? t[map][code] : 0;
          return el(
            "li",
            null,
            el("span", { class: "reason-label" }, label),
            svg(
              "svg",
              { class: "mini-bar", viewBox: "0 0 100 6", preserveAspectRatio: "none", "aria-hidden": "true" },
              svg("rect", { class: "bar-track", x: 0, y: 0, width: 100, height: 6 }),
              svg("rect", {
                class: `bar-fill ${options.tone}`,
                x: 0,
                y: 0,
                width: whole ? (value / whole) * 100 : 0,
                height: 6,
              }),
            ),
            number(t, `${map}.${code}`),
          );
        }),
      ),
    );
  }

  function renderDetails(t) {
    const groups = [];
    groups.push(
      reasonList(t, "withdrawals", "withdrawals_by_reason", REASONS, {
        title: "Alasan mengundurkan diri",
        tone: "tone-withdrawn",
      }),
    );
    groups.push(
      el(
        "div",
        { class: "detail-group" },
        el("h3", null, "Pelatihan dan Pokmas"),
        el(
          "dl",
          null,
          detail(t, "programmes_open", "Program berjalan"),
          detail(t, "seats_offered", "Kursi tersedia"),
          detail(t, "seats_taken", "Kursi terisi"),
          detail(t, "pokmas_registered", "Pokmas terdaftar dalam periode"),
          detail(t, "mous_active", "MoU aktif"),
          detail(t, "withdrawals", "Mengundurkan diri"),
        ),
      ),
    );
    const klien = el(
      "dl",
      null,
      detail(t, "klien_completed", "Klien lulus pelatihan"),
      detail(t, "klien_employed_after_training", "Lulusan yang bekerja"),
      detail(t, "klien_employed_within_6_months_of_release", "Bekerja ≤ 6 bulan setelah bebas"),
      detail(t, "supervisions_ended.completed", "Pembimbingan selesai"),
      detail(t, "supervisions_ended.revoked", "Pembimbingan dicabut"),
    );
    groups.push(el("div", { class: "detail-group" }, el("h3", null, "Klien"), klien));
    document.getElementById("details").replaceChildren(...groups);
  }

  // ------------------------------------------------------------ data access

  function figuresUrl(extra) {
    const query = new URLSearchParams();
    if (state.period.from) query.set("from", state.period.from);
    if (state.period.to) query.set("to", state.period.to);
    for (const [name, value] of Object.entries(extra || {})) query.set(name, value);
    const text = query.toString();
    return config.figures_path + (text ? "?" + text : "");
  }

  function signIn() {
    window.location.assign(config.sign_in_path);
  }

  function showStatus(text, kind) {
    const status = document.getElementById("status");
    if (!text) {
      status.hidden = true;
      status.textContent = "";
      return;
    }
    status.hidden = false;
    status.className = "status status-" + (kind || "info");
    status.textContent = text;
  }

  async function problemDetail(response) {
    try {
      const body = await response.json();
      return body.detail || body.title || String(response.status);
    } catch (error) {
      return String(response.status);
    }
  }

  async function loadFigures(key) {
    if (state.loading) {
      state.again = true;
      state.againKey = key;
      return;
    }
    state.loading = true;
    try {
      const response = await fetch(figuresUrl(), {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "application/json" },
      });
      if (response.status === 401) {
        signIn();
        return;
      }
      // Neither answer changes until the period or the data does: no retry every second.
      if (response.status === 404) {
        if (key !== undefined && key !== null) state.seenKey = key;
        showStatus("Data untuk cakupan Anda tidak ditemukan. Hubungi admin bila ini keliru.", "error");
        return;
      }
      if (response.status === 422) {
        if (key !== undefined && key !== null) state.seenKey = key;
        showStatus("Periode tidak valid: " + (await problemDetail(response)), "error");
        return;
      }
      if (!response.ok) {
        showStatus(`Data belum dapat dimuat (${response.status}); mencoba lagi otomatis.`, "error");
        return;
      }
      const answer = await response.json();
      if (key !== undefined && key !== null) state.seenKey = key;
      render(answer);
      state.rendered = true;
      showStatus(null);
    } catch (error) {
      showStatus("Data belum dapat dimuat; mencoba lagi otomatis.", "error");
    } finally {
      state.loading = false;
      if (state.again) {
        state.again = false;
        loadFigures(state.againKey);
      }
    }
  }

  function setOnline(online) {
    if (online === state.online) return;
    state.online = online;
    const dot = document.getElementById("live-dot");
    dot.classList.toggle("offline", !online);
    if (!online) showStatus("Koneksi ke layanan terputus; mencoba lagi setiap detik.", "error");
    else showStatus(null);
  }

  async function poll() {
    try {
      if (document.visibilityState !== "hidden") {
        const response = await fetch(config.as_of_path, {
          credentials: "same-origin",
          cache: "no-store",
          headers: { Accept: "application/json" },
        });
        if (response.status === 401) {
          signIn();
          return;
        }
        if (!response.ok) throw new Error(String(response.status));
        const body = await response.json();
        setOnline(true);
        const key = `${body.as_of}|${body.events_applied}`;
        if (key !== state.seenKey) await loadFigures(key);
      }
    } catch (error) {
      setOnline(false);
      if (!state.rendered) await loadFigures(null); // the figures may answer all the same
    }
    window.setTimeout(poll, POLL_MS);
  }

  async function downloadCsv() {
    const by = document.getElementById("csv-by").value;
    const button = document.getElementById("csv-download");
    button.disabled = true;
    try {
      const response = await fetch(figuresUrl({ by }), {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "text/csv" },
      });
      if (response.status === 401) {
        signIn();
        return;
      }
      if (!response.ok) {
        showStatus("CSV tidak dapat diunduh: " + (await problemDetail(response)), "error");
        return;
      }
      const disposition = response.headers.get("Content-Disposition") || "";
      const match = /filename="?([^";]+)"?/.exec(disposition);
      const filename = match ? match[1] : `figures-${config.level}-${by}.csv`;
      const href = URL.createObjectURL(await response.blob());
      const link = el("a", { href, download: filename, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      window.setTimeout(() => URL.revokeObjectURL(href), 30000);
    } catch (error) {
      showStatus("CSV tidak dapat diunduh; periksa koneksi.", "error");
    } finally {
      button.disabled = false;
    }
  }

  // ------------------------------------------------------------- the period

  function readPeriodFromAddress() {
    const query = new URLSearchParams(window.location.search);
    const valid = (value) => (/^\d{4}-\d{2}-\d{2}$/.test(value || "") ? value : "");
    state.period = { from: valid(query.get("from")), to: valid(query.get("to")) };
    document.getElementById("period-from").value = state.period.from;
    document.getElementById("period-to").value = state.period.to;
  }

  function applyPeriod(from, to) {
    if (from && to && from > to) {
      showStatus("Tanggal awal periode harus sebelum atau sama dengan tanggal akhirnya.", "error");
      return;
    }
    state.period = { from, to };
    const query = new URLSearchParams();
    if (from) query.set("from", from);
    if (to) query.set("to", to);
    const text = query.toString();
    window.history.replaceState(null, "", window.location.pathname + (text ? "?" + text : ""));
    showStatus(null);
    loadFigures(state.seenKey);
  }

  function start() {
    readPeriodFromAddress();
    document.getElementById("period-form").addEventListener("submit", (event) => {
      event.preventDefault();
      applyPeriod(document.getElementById("period-from").value, document.getElementById("period-to").value);
    });
    document.getElementById("period-clear").addEventListener("click", () => {
      document.getElementById("period-from").value = "";
      document.getElementById("period-to").value = "";
      applyPeriod("", "");
    });
    document.getElementById("csv-download").addEventListener("click", downloadCsv);
    poll();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
