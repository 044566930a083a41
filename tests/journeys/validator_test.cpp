#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "daemon/journeys/loader.h"

using namespace journeyd;

namespace {

const char* kHeader = "journey: j\ntrigger:\n  event: Signed Up\n";

std::string problems(const std::string& yaml, const JourneyCatalog& known = {}) {
  Diagnostics diagnostics;
  auto defs = loadDefinitionsText(yaml, "j.yaml", known, diagnostics);
  std::string out = diagnostics.format();
  if (!out.empty()) out.pop_back();  // last newline
  return out;
}

JourneyCatalog catalog() {
  JourneyCatalog known;
  known.channels = {"email", "sms", "webhook"};
  known.templates = {"newcomer/welcome", "newcomer/coupon"};
  return known;
}

}  // namespace

TEST_CASE("each class of error is reported at the exact node") {
  struct Row {
    const char* name;
    std::string yaml;
    const char* want;
  };
  const std::string h = kHeader;
  const Row rows[] = {
      {"yaml syntax", "journey: j\nsteps: [\n",
       "j.yaml:3:1: error: end of sequence flow not found"},
      {"unknown top-level key", h + "stesp:\n  - wait: 1d\nsteps:\n  - wait: 1d\n",
       "j.yaml:4:1: error: unknown key 'stesp' in a journey (did you mean 'steps'?)"},
      {"unknown step key", h + "steps:\n  - wait: 1d\n    tiemout: 2d\n",
       "j.yaml:6:5: error: unknown key 'tiemout' in a wait step"},
      {"unknown step kind", h + "steps:\n  - sned: hi\n",
       "j.yaml:5:5: error: unknown step 'sned' (did you mean 'send'?)"},
      {"bad duration", h + "steps:\n  - wait: 1x\n",
       "j.yaml:5:11: error: bad duration '1x' (use s, m, h, d or w, e.g. 1h)"},
      {"wrong type",
       h + "steps:\n  - send: hi\n    channel: [email]\n    template: newcomer/welcome\n",
       "j.yaml:6:14: error: channel must be text, not a list"},
      {"unknown channel",
       h + "steps:\n  - send: hi\n    channel: emial\n    template: newcomer/welcome\n",
       "j.yaml:6:14: error: unknown channel 'emial' (did you mean 'email'?)"},
      {"unknown template",
       h + "steps:\n  - send: hi\n    channel: email\n    template: newcomer/welcom\n",
       "j.yaml:7:15: error: unknown template 'newcomer/welcom' (did you mean 'newcomer/welcome'?)"},
      {"duplicate step id",
       h + "steps:\n  - wait: 1d\n    id: pause\n  - wait: 2d\n    id: pause\n",
       "j.yaml:8:9: error: duplicate step id 'pause' (first used at line 5)"},
      {"unknown goto target", h + "steps:\n  - wait: 1d\n    id: pause\n  - goto: pasue\n",
       "j.yaml:7:11: error: unknown step 'pasue' (did you mean 'pause'?)"},
      {"unreachable step", h + "steps:\n  - exit: bye\n  - wait: 1d\n",
       "j.yaml:6:5: error: unreachable step: it follows 'exit: bye'"},
      {"expression syntax", h + "exit_when: customer.unsubscribed ==\nsteps:\n  - wait: 1d\n",
       "j.yaml:4:36: error: unexpected end of expression — expected an expression"},
      {"unknown function",
       h + "exit_when: dayz_since(customer.last_order_at) > 3\nsteps:\n  - wait: 1d\n",
       "j.yaml:4:12: error: unknown function 'dayz_since' (did you mean 'days_since'?)"},
      {"unknown root in a quoted condition",
       h + "exit_when: \"custmer.unsubscribed\"\nsteps:\n  - wait: 1d\n",
       "j.yaml:4:13: error: unknown name 'custmer' (did you mean 'customer'?)"},
      {"bad cron", "journey: j\ntrigger:\n  schedule: \"0 25 * * *\"\nsteps:\n  - wait: 1d\n",
       "j.yaml:3:13: error: bad cron hour field '25'"},
      {"bad timezone",
       "journey: j\ntrigger:\n  schedule: { cron: \"0 9 * * *\", timezone: Mars/Base }\nsteps:\n  "
       "- wait: 1d\n",
       "j.yaml:3:44: error: unknown timezone 'Mars/Base' (use an IANA name like Asia/Shanghai)"},
      {"two triggers", "journey: j\ntrigger:\n  event: A\n  api: true\nsteps:\n  - wait: 1d\n",
       "j.yaml:4:8: error: a journey has one trigger: 'event' and 'api' both given"},
      {"bad status", h + "status: actve\nsteps:\n  - wait: 1d\n",
       "j.yaml:4:9: error: unknown status 'actve' (did you mean 'active'?)"},
      {"bad reentry", h + "entry:\n  reentry: after 6months\nsteps:\n  - wait: 1d\n",
       "j.yaml:5:12: error: bad duration '6months' (use s, m, h, d or w, e.g. 1h)"},
      {"bad time of day", h + "steps:\n  - wait_until: { time: \"25:00\" }\n",
       "j.yaml:5:25: error: bad time of day '25:00' (use HH:MM, e.g. 10:00)"},
      {"bad weekday", h + "steps:\n  - wait_until: { days: [mon, fry] }\n",
       "j.yaml:5:31: error: unknown day 'fry' (use mon, tue, …, sun)"},
      {"split not 100",
       h + "steps:\n  - split: t\n    variants:\n      a: { percent: 50 }\n      b: { percent: 40 "
           "}\n",
       "j.yaml:7:7: error: split percentages add up to 90, not 100"},
      {"wait_for without timeout", h + "steps:\n  - wait_for: Order Completed\n",
       "j.yaml:5:15: error: wait_for needs a timeout, e.g. 'timeout: 3d'"},
      {"missing trigger", "journey: j\nsteps:\n  - wait: 1d\n",
       "j.yaml:1:10: error: journey 'j' needs a trigger"},
      {"two actions in one step", h + "steps:\n  - wait: 1d\n    send: x\n",
       "j.yaml:6:11: error: a step does one thing: 'wait' and 'send' belong in separate steps"},
      {"unknown key in a segments file",
       "segments:\n  dormant:\n    wen: customer.orders_count > 0\n",
       "j.yaml:3:5: error: unknown key 'wen' in segment 'dormant' (did you mean 'when'?)\n"
       "j.yaml:2:3: error: segment 'dormant' needs 'when:'"},
      {"bad category", h + "category: transactonal\nsteps:\n  - wait: 1d\n",
       "j.yaml:4:11: error: unknown category 'transactonal' (did you mean 'transactional'?)"},
      {"bad send window",
       h + "steps:\n  - send: hi\n    channel: email\n    template: newcomer/welcome\n"
           "    send_window: weekdays 10-18\n",
       "j.yaml:8:18: error: bad send window 'weekdays 10-18' (use e.g. \"weekdays 10:00-18:00\")"},
      {"bad send window days", h + "send_window: workdays 10:00-18:00\nsteps:\n  - wait: 1d\n",
       "j.yaml:4:14: error: bad days 'workdays' in send window (use weekdays, weekends, daily, "
       "mon-fri or sat,sun)"},
      {"dotted topic", h + "topic: news.weekly\nsteps:\n  - wait: 1d\n",
       "j.yaml:4:8: error: topic 'news.weekly' may use only letters, digits, '-' and '_'"},
      {"bad when_capped", h + "when_capped: delay\nsteps:\n  - wait: 1d\n",
       "j.yaml:4:14: error: unknown when_capped 'delay' (use skip or defer)"},
      {"cap without per", h + "caps:\n  - {max: 1}\nsteps:\n  - wait: 1d\n",
       "j.yaml:5:5: error: a cap needs max and per, e.g. {max: 1, per: 30d}"},
      {"control group too large", h + "control_group: 80%\nsteps:\n  - wait: 1d\n",
       "j.yaml:4:16: error: control_group must be a percentage from 0 to 50, e.g. 10%"},
      {"segment expression", "segments:\n  big:\n    when: event.properties.total > 3\n",
       "j.yaml:3:11: error: unknown name 'event' (paths start with 'customer')"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    CHECK(problems(row.yaml, catalog()) == row.want);
  }
}

TEST_CASE("validation collects every problem, not only the first") {
  std::string yaml =
      std::string(kHeader) +
      "steps:\n  - wait: 1x\n  - send: a\n    channel: emial\n    template: newcomer/welcome\n"
      "  - wait: 2q\n";
  CHECK(problems(yaml, catalog()) ==
        "j.yaml:5:11: error: bad duration '1x' (use s, m, h, d or w, e.g. 1h)\n"
        "j.yaml:7:14: error: unknown channel 'emial' (did you mean 'email'?)\n"
        "j.yaml:9:11: error: bad duration '2q' (use s, m, h, d or w, e.g. 1h)");
}

TEST_CASE("an empty catalog leaves channels and templates unchecked") {
  std::string yaml =
      std::string(kHeader) + "steps:\n  - send: a\n    channel: pigeon\n    template: any/thing\n";
  CHECK(problems(yaml) == "");
}

TEST_CASE("steps get stable ids: given, or derived from their position") {
  Diagnostics diagnostics;
  auto j = loadJourneyText(std::string(kHeader) + R"(steps:
  - send: welcome
    channel: email
    template: t
  - wait: 1d
  - if: customer.orders_count == 0
    then:
      - wait: 2d
      - send: coupon
        channel: sms
        template: t
    else:
      - exit: ordered
)",
                           "j.yaml", {}, diagnostics);
  REQUIRE_MESSAGE(j, diagnostics.format());
  std::vector<std::string> ids;
  for (const auto& s : j->steps) ids.push_back(s.id);
  CHECK(ids == std::vector<std::string>{"welcome", "wait-2", "if-3", "if-3/then/wait-1", "coupon",
                                        "if-3/else/exit-1"});
  // Linked: the end of a branch continues after the if (here: the end of the journey).
  CHECK(j->steps[static_cast<size_t>(j->stepIndex("coupon"))].next == -1);
  CHECK(j->steps[static_cast<size_t>(j->stepIndex("wait-2"))].next == j->stepIndex("if-3"));
  auto lines = describeStepIds(*j);
  REQUIRE(lines.size() == 6);
  CHECK(lines[0] == "j.yaml:5:5: note: step welcome (send)");
  CHECK(lines[1] ==
        "j.yaml:8:5: note: step wait-2 (wait), derived from its position: add 'id:' to keep it "
        "stable");
}

TEST_CASE("duplicate journey ids and unknown segments across files") {
  // Written to a temporary folder: the loader's only I/O is reading files.
  auto dir =
      std::filesystem::temp_directory_path() / ("journeys_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto write = [&](const char* name, const std::string& text) {
    std::ofstream(dir / name) << text;
  };
  write("a.yaml",
        "journey: same\ntrigger: { segment_entered: dormnat }\nsteps: [ { wait: 1d } ]\n");
  write("b.yaml", "journey: same\ntrigger: { event: X }\nsteps: [ { wait: 1d } ]\n");
  write("segments.yaml", "segments:\n  dormant:\n    when: customer.orders_count > 0\n");
  Diagnostics diagnostics;
  auto defs = loadDefinitions(dir.string(), {}, diagnostics);
  std::string a = (dir / "a.yaml").string(), b = (dir / "b.yaml").string();
  CHECK(diagnostics.format() ==
        a + ":2:29: error: unknown segment 'dormnat' (did you mean 'dormant'?)\n" + b +
            ":1:10: error: duplicate journey id 'same' (also in " + a + ":1)\n");
  CHECK(defs.journeys.empty());
  std::filesystem::remove_all(dir);
}

TEST_CASE("delivery rules: journey defaults, step overrides, caps and control group") {
  Diagnostics diagnostics;
  auto defs = loadDefinitionsText(
      std::string(kHeader) +
          "priority: 40\ncategory: marketing\ntopic: promotions\n"
          "send_window: weekdays 10:00-18:00\nwhen_capped: defer\n"
          "caps:\n  - {max: 1, per: 30d}\n  - {channel: sms, max: 2, per: 7d}\n"
          "control_group: 10%\nsteps:\n"
          "  - send: offer\n    channel: email\n    template: newcomer/welcome\n"
          "  - send: receipt\n    channel: email\n    template: newcomer/coupon\n"
          "    category: transactional\n    topic: account\n    send_window: daily 08:00-22:00\n"
          "    when_capped: skip\n",
      "j.yaml", catalog(), diagnostics);
  REQUIRE(diagnostics.empty());
  REQUIRE(defs.journeys.size() == 1);
  const Journey& j = *defs.journeys[0];
  CHECK(j.priority == 40);
  CHECK(j.control_basis_points == 1000);
  REQUIRE(j.caps.size() == 2);
  CHECK(j.caps[0].channel.empty());
  CHECK(j.caps[0].max == 1);
  CHECK(j.caps[0].window == 30 * kDayMs);
  CHECK(j.caps[1].channel == "sms");
  const Step* offer = j.step("offer");
  REQUIRE(offer);
  CHECK_FALSE(offer->rules.transactional);
  CHECK(offer->rules.topic == "promotions");
  REQUIRE(offer->rules.send_window);
  CHECK(offer->rules.send_window->weekday_mask == 0x3e);
  CHECK(offer->rules.send_window->start_minute == 600);
  CHECK(offer->rules.send_window->end_minute == 1080);
  CHECK(offer->rules.when_capped == WhenCapped::kDefer);
  const Step* receipt = j.step("receipt");
  REQUIRE(receipt);
  CHECK(receipt->rules.transactional);
  CHECK(receipt->rules.topic == "account");
  CHECK(receipt->rules.send_window->weekday_mask == 0x7f);
  CHECK(receipt->rules.send_window->start_minute == 480);
  CHECK(receipt->rules.when_capped == WhenCapped::kSkip);
}
