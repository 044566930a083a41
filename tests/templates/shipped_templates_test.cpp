// The shipped message templates (templates/): they load cleanly, match the journeys that send
// them (name and channel), and render real, personalised messages in both locales.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "daemon/core/time.h"
#include "daemon/journeys/loader.h"
#include "daemon/render/message_template.h"

using namespace journeyd;
using nlohmann::json;

namespace {

const std::filesystem::path kRoot = JOURNEYD_SOURCE_DIR;

const std::vector<std::string> kShipped = {"birthday/greeting",
                                           "birthday/greeting-vip",
                                           "cart/nudge",
                                           "member/invitation",
                                           "member/reminder",
                                           "member/thank-you",
                                           "newcomer/coupon",
                                           "newcomer/first-steps",
                                           "newcomer/welcome",
                                           "nps/detractor-follow-up",
                                           "nps/promoter-thanks",
                                           "nps/reminder",
                                           "nps/survey",
                                           "referral/friend-thanks",
                                           "referral/reward-webhook",
                                           "winback/coupon",
                                           "winback/reminder"};

const std::string kUnsubscribeUrl = "https://shop.test/unsubscribe?c=42&sig=abc";
const std::string kUnsubscribeHref = "https://shop.test/unsubscribe?c=42&amp;sig=abc";

std::shared_ptr<const TemplateSet> shippedTemplates() {
  static const std::shared_ptr<const TemplateSet> set = [] {
    Diagnostics diags;
    auto s = TemplateSet::load(kRoot / "templates", diags);
    INFO(diags.format());
    CHECK(diags.empty());
    return s;
  }();
  REQUIRE(set);
  return set;
}

/// Where each template is sent: its journey and send step.
struct SendSite {
  JourneyPtr journey;
  const Step* step = nullptr;
};

const std::map<std::string, std::vector<SendSite>>& sendSites() {
  static const auto sites = [] {
    std::map<std::string, std::vector<SendSite>> out;
    auto set = shippedTemplates();
    JourneyCatalog catalog;
    catalog.templates = set->names();
    catalog.channels = {"email", "sms", "webhook"};
    Diagnostics diags;
    static std::vector<JourneyPtr> journeys =
        loadJourneys((kRoot / "journeys").string(), catalog, diags);
    INFO(diags.format());
    CHECK_FALSE(diags.hasErrors());
    CHECK(journeys.size() == 7);
    for (const auto& j : journeys) {
      for (const auto& step : j->steps) {
        if (step.kind == StepKind::kSend) out[step.template_name].push_back({j, &step});
      }
    }
    return out;
  }();
  return sites;
}

const SendSite& siteOf(const std::string& tmpl) {
  const auto& sites = sendSites();
  const auto it = sites.find(tmpl);
  INFO(tmpl);
  REQUIRE(it != sites.end());
  REQUIRE(it->second.size() == 1);
  return it->second.front();
}

bool hasCjk(const std::string& s) {
  // Any UTF-8 lead byte of the U+3000–U+9FFF / U+FF00 blocks (CJK text and full-width marks).
  for (std::size_t i = 0; i + 2 < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0xE3 && c <= 0xE9) return true;
    if (c == 0xEF && static_cast<unsigned char>(s[i + 1]) >= 0xBC) return true;
  }
  return false;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = haystack.find(needle); p != std::string::npos; p = haystack.find(needle, p + 1))
    ++n;
  return n;
}

json zhCustomer() {
  return {{"id", "42"},
          {"user_id", "u-42"},
          {"email", "xm@example.com"},
          {"phone", "+8613800000000"},
          {"first_name", "小明"},
          {"last_name", "王"},
          {"timezone", "Asia/Shanghai"},
          {"locale", "zh-CN"},
          {"traits", {{"first_name", "小明"}, {"last_name", "王"}}},
          {"tags", json::array()},
          {"orders_count", 3},
          {"total_spent", 1288.5},
          {"first_order_at", "2024-03-15T10:00:00.000Z"},
          {"last_order_at", "2026-08-01T12:00:00.000Z"},
          {"unsubscribed", false}};
}

json enCustomer() {
  return {{"id", "43"},
          {"user_id", "u-43"},
          {"email", "alex@example.com"},
          {"phone", "+447700900123"},
          {"first_name", "Alex"},
          {"timezone", "Europe/London"},
          {"locale", "en-GB"},
          {"traits", {{"first_name", "Alex"}}},
          {"tags", json::array()},
          {"orders_count", 3},
          {"total_spent", 420.0},
          {"first_order_at", "2024-03-15T10:00:00.000Z"},
          {"last_order_at", "2026-08-01T12:00:00.000Z"},
          {"unsubscribed", false}};
}

/// A customer with no name and nothing but the required fields.
json anonymousCustomer(const std::string& locale) {
  return {{"id", "44"},
          {"email", "anon@example.com"},
          {"phone", "+8613900000000"},
          {"timezone", "UTC"},
          {"locale", locale},
          {"traits", json::object()},
          {"tags", json::array()},
          {"orders_count", 0},
          {"total_spent", 0},
          {"first_order_at", nullptr},
          {"last_order_at", nullptr}};
}

const TimeMs kNow = *parseIsoTime("2026-11-23T02:00:00Z");

/// The trigger event each journey starts on, as the engine records it.
json triggerEvent(const std::string& journey, bool zh) {
  json props = json::object();
  std::string name = "Signed Up";
  if (journey == "cart-abandon") {
    name = "Product Added";
    props = {{"cart_id", "cart-9"},
             {"cart_url", "https://shop.test/cart/9"},
             {"products",
              {{{"product_id", "p1"},
                {"name", zh ? "羊绒围巾" : "Cashmere scarf"},
                {"variant", zh ? "燕麦色" : "Oat"},
                {"price", 199},
                {"quantity", 1},
                {"url", "https://shop.test/p/1"},
                {"image_url", "https://shop.test/p/1.jpg"}},
               {{"product_id", "p2"},
                {"name", zh ? "手冲咖啡豆 <限量>" : "Pour-over beans <limited>"},
                {"price", 59.5},
                {"quantity", 2}}}}};
  } else if (journey == "member-exclusive") {
    name = "Member Event Announced";
    props = {{"event_id", "evt-12"},
             {"event_date", "2026-12-05T11:00:00Z"},  // 19:00 in Shanghai, 11:00 in London
             {"event_name", zh ? "冬季新品品鉴会" : "Winter preview night"},
             {"location", zh ? "上海静安店" : "The shop, Covent Garden"}};
  } else if (journey == "referral") {
    name = "Order Completed";
    props = {{"order_id", "A1001"}, {"referrer_id", "7"}, {"first_order", true}, {"total", 268}};
  } else if (journey == "nps-survey") {
    name = "Order Completed";
    props = {{"order_id", "A1002"}, {"total", 99}};
  } else if (journey == "win-back") {
    name = "Segment Entered";
    props = {{"segment", "dormant"}};
  } else if (journey == "birthday") {
    name = "Birthday";
  }
  return {{"name", name}, {"properties", props}, {"time", "2026-11-18T06:30:00.000Z"}};
}

/// The render context as the journey runner builds it: trigger properties merged with the send
/// step's data (plus whatever `extra` the engine put in data, e.g. last_event).
json contextFor(const std::string& tmpl, const json& customer, bool zh,
                const json& extra = json::object(), const json& event_override = nullptr) {
  const SendSite& site = siteOf(tmpl);
  const json event = event_override.is_null() ? triggerEvent(site.journey->id, zh) : event_override;
  json data = event["properties"];
  for (auto& [k, v] : site.step->data.items()) data[k] = v;
  for (auto& [k, v] : extra.items()) data[k] = v;
  return {{"customer", customer},
          {"event", event},
          {"journey",
           {{"id", site.journey->id}, {"name", site.journey->name}, {"step", site.step->id}}},
          {"data", data},
          {"unsubscribe_url", kUnsubscribeUrl}};
}

RenderOptions optionsFor(const json& customer, const std::string& currency = "USD") {
  RenderOptions o;
  o.now = kNow;
  o.timezone = customer.value("timezone", "UTC");
  o.currency = currency;
  return o;
}

RenderedMessage render(const std::string& tmpl, const json& context, const std::string& locale,
                       const RenderOptions& options) {
  const MessageTemplate* t = shippedTemplates()->find(tmpl);
  INFO(tmpl);
  REQUIRE(t != nullptr);
  auto r = t->render(context, locale, options);
  INFO((r ? std::string() : r.error().message));
  REQUIRE(r.has_value());
  return *r;
}

/// Both locales with the matching customer.
struct Case {
  const char* locale;
  bool zh;
  json customer;
  const char* name;
  const char* unsubscribe;
  const char* currency;
};
std::vector<Case> cases() {
  return {{"zh-CN", true, zhCustomer(), "小明", "退订", "CNY"},
          {"en", false, enCustomer(), "Alex", "Unsubscribe", "USD"}};
}

std::string zhDiscount(int percent) {
  const int zhe = 100 - percent;
  return std::to_string(zhe % 10 == 0 ? zhe / 10 : zhe) + "折";
}

}  // namespace

TEST_CASE("the templates folder loads cleanly with the 17 shipped templates") {
  auto set = shippedTemplates();
  CHECK(set->size() == kShipped.size());
  CHECK(set->names() == kShipped);
  for (const auto& name : kShipped) {
    CAPTURE(name);
    const MessageTemplate* t = set->find(name);
    REQUIRE(t != nullptr);
    CHECK(t->defaultLocale() == "en");
    CHECK(t->locales() == std::vector<std::string>{"en", "zh-CN"});
    CHECK(t->resolveLocale("zh-CN") == "zh-CN");
    CHECK(t->resolveLocale("zh_cn") == "zh-CN");
    CHECK(t->resolveLocale("fr-FR") == "en");
  }
}

TEST_CASE("every template a journey sends exists, on the channel the journey sends it") {
  auto set = shippedTemplates();
  const auto& sites = sendSites();
  std::set<std::string> referenced;
  std::size_t sends = 0;
  for (const auto& [tmpl, list] : sites) {
    for (const auto& site : list) {
      CAPTURE(site.journey->id);
      CAPTURE(site.step->id);
      CAPTURE(tmpl);
      ++sends;
      referenced.insert(tmpl);
      const MessageTemplate* t = set->find(tmpl);
      REQUIRE(t != nullptr);
      CHECK(std::string(channelName(t->channel())) == site.step->channel);
    }
  }
  CHECK(sends == 17);
  // Nothing shipped that no journey sends, nothing sent that is not shipped.
  CHECK(std::vector<std::string>(referenced.begin(), referenced.end()) == kShipped);
  // The channels, spelled out, so a journey moving a step to another channel is noticed here.
  const std::map<std::string, std::string> expected = {{"newcomer/welcome", "email"},
                                                       {"newcomer/first-steps", "email"},
                                                       {"newcomer/coupon", "sms"},
                                                       {"winback/coupon", "email"},
                                                       {"winback/reminder", "sms"},
                                                       {"member/invitation", "email"},
                                                       {"member/reminder", "sms"},
                                                       {"member/thank-you", "email"},
                                                       {"birthday/greeting", "email"},
                                                       {"birthday/greeting-vip", "email"},
                                                       {"cart/nudge", "email"},
                                                       {"referral/reward-webhook", "webhook"},
                                                       {"referral/friend-thanks", "email"},
                                                       {"nps/survey", "email"},
                                                       {"nps/reminder", "sms"},
                                                       {"nps/promoter-thanks", "email"},
                                                       {"nps/detractor-follow-up", "email"}};
  for (const auto& [tmpl, channel] : expected) {
    CAPTURE(tmpl);
    REQUIRE(set->find(tmpl) != nullptr);
    CHECK(channelName(set->find(tmpl)->channel()) == channel);
  }
}

TEST_CASE("every template renders personalised, in the right language, in both locales") {
  auto set = shippedTemplates();
  for (const auto& name : kShipped) {
    const MessageTemplate* t = set->find(name);
    REQUIRE(t != nullptr);
    for (const auto& c : cases()) {
      CAPTURE(name);
      CAPTURE(c.locale);
      json extra = json::object();
      if (name.rfind("nps/", 0) == 0 && name != "nps/survey" && name != "nps/reminder")
        extra["last_event"] = {{"name", "Survey Answered"},
                               {"properties", {{"score", name == "nps/promoter-thanks" ? 10 : 3}}}};
      const json ctx = contextFor(name, c.customer, c.zh, extra);
      const RenderedMessage m = render(name, ctx, c.locale, optionsFor(c.customer, c.currency));
      CHECK(m.locale == c.locale);
      const json& step_data = siteOf(name).step->data;
      switch (t->channel()) {
        case Channel::kEmail: {
          CHECK_FALSE(m.subject.empty());
          CHECK(contains(m.subject, c.name));
          CHECK(contains(m.html, c.name));
          CHECK(hasCjk(m.subject) == c.zh);
          CHECK(hasCjk(m.html) == c.zh);
          // Every marketing email carries a working unsubscribe link, in the text part too.
          CHECK(contains(m.html, "<a href=\"" + kUnsubscribeHref + "\">" + c.unsubscribe + "</a>"));
          CHECK(contains(m.text, kUnsubscribeUrl));
          CHECK(contains(m.text, c.name));
          CHECK_FALSE(contains(m.html, "{{"));
          CHECK_FALSE(contains(m.html, "{%"));
          CHECK(m.body.empty());
          if (step_data.contains("coupon_code")) {
            const std::string code = step_data["coupon_code"].get<std::string>();
            CHECK(contains(m.html, code));
            CHECK(contains(m.text, code));
          }
          if (step_data.contains("discount_percent")) {
            const int pct = step_data["discount_percent"].get<int>();
            CHECK(contains(m.html, c.zh ? zhDiscount(pct) : std::to_string(pct) + "% off"));
          }
          break;
        }
        case Channel::kSms: {
          REQUIRE(m.sms.has_value());
          CHECK(contains(m.body, c.name));
          CHECK(m.sms->segments == 1);
          CHECK(m.sms->encoding == (c.zh ? "UCS-2" : "GSM-7"));
          CHECK(hasCjk(m.body) == c.zh);
          CHECK(contains(m.body, c.zh ? "回T退订" : "Reply STOP to opt out"));
          CHECK_FALSE(contains(m.body, "\n"));
          CHECK_FALSE(contains(m.body, "  "));
          if (step_data.contains("coupon_code"))
            CHECK(contains(m.body, step_data["coupon_code"].get<std::string>()));
          if (step_data.contains("discount_percent")) {
            const int pct = step_data["discount_percent"].get<int>();
            CHECK(contains(m.body, c.zh ? zhDiscount(pct) : std::to_string(pct) + "% off"));
          }
          break;
        }
        case Channel::kWebhook: {
          const json body = json::parse(m.body);  // throws (and fails) when not JSON
          CHECK(body["referred_customer_id"] == c.customer["id"]);
          CHECK(body["locale"] == c.locale);
          break;
        }
      }
    }
  }
}

TEST_CASE("a name with markup is escaped in HTML and cannot break SMS or webhook bodies") {
  auto set = shippedTemplates();
  for (const auto& name : kShipped) {
    const MessageTemplate* t = set->find(name);
    REQUIRE(t != nullptr);
    for (const char* locale : {"zh-CN", "en"}) {
      CAPTURE(name);
      CAPTURE(locale);
      json customer = enCustomer();
      customer["first_name"] = "<b>Bo\"</b>";
      customer["locale"] = locale;
      json extra = json::object();
      if (name == "nps/promoter-thanks" || name == "nps/detractor-follow-up")
        extra["last_event"] = {{"properties", {{"score", 9}}}};
      const RenderedMessage m =
          render(name, contextFor(name, customer, false, extra), locale, optionsFor(customer));
      if (t->channel() == Channel::kEmail) {
        CHECK(contains(m.html, "&lt;b&gt;Bo&quot;&lt;/b&gt;"));
        CHECK_FALSE(contains(m.html, "<b>Bo"));
        CHECK(contains(m.subject, "<b>Bo\"</b>"));  // the subject is plain text
      } else if (t->channel() == Channel::kWebhook) {
        const json body = json::parse(m.body);
        CHECK(contains(body["note"].get<std::string>(), "<b>Bo\"</b>"));
      } else {
        CHECK(contains(m.body, "<b>Bo\"</b>"));
      }
    }
  }
}

TEST_CASE("customers without a name get a friendly default, never an empty greeting") {
  auto set = shippedTemplates();
  const std::map<std::string, std::vector<std::string>> bad = {
      {"zh-CN",
       {"，，", "<h1 style=\"font-size:22px\">，", "<h1 style=\"font-size:24px\">，", "<p>，",
        "<p>好，"}},
      {"en", {" ,", " !", "Hi ,", ">, ", "Happy birthday, !"}}};
  for (const auto& name : kShipped) {
    for (const char* locale : {"zh-CN", "en"}) {
      CAPTURE(name);
      CAPTURE(locale);
      const json customer = anonymousCustomer(locale);
      json extra = json::object();
      if (name == "nps/promoter-thanks" || name == "nps/detractor-follow-up")
        extra["last_event"] = {{"properties", {{"score", 5}}}};
      const RenderedMessage m =
          render(name, contextFor(name, customer, std::string(locale) == "zh-CN", extra), locale,
                 optionsFor(customer));
      const std::string all = m.subject + "\n" + m.html + "\n" + m.body;
      CHECK_FALSE(all.empty());
      for (const auto& pattern : bad.at(locale)) {
        CAPTURE(pattern);
        CHECK_FALSE(contains(all, pattern));
      }
      // The subject and body start with a word, not with the punctuation after a missing name.
      const std::string first = m.subject.empty() ? m.body : m.subject;
      REQUIRE_FALSE(first.empty());
      CHECK(first.rfind("，", 0) != 0);
      CHECK(first.rfind(",", 0) != 0);
      CHECK(first.rfind(" ", 0) != 0);
    }
  }
  // The documented defaults.
  const json en = anonymousCustomer("en"), zh = anonymousCustomer("zh-CN");
  CHECK(contains(
      render("newcomer/welcome", contextFor("newcomer/welcome", en, false), "en", optionsFor(en))
          .html,
      "Hi there, welcome!"));
  CHECK(contains(
      render("newcomer/welcome", contextFor("newcomer/welcome", zh, true), "zh-CN", optionsFor(zh))
          .subject,
      "朋友，欢迎加入本店"));
}

TEST_CASE("newcomer coupon SMS: the journey's code and discount, one segment") {
  const auto& data = siteOf("newcomer/coupon").step->data;
  REQUIRE(data["coupon_code"] == "NEW15");
  REQUIRE(data["discount_percent"] == 15);
  const json zh = zhCustomer(), en = enCustomer();
  const auto z =
      render("newcomer/coupon", contextFor("newcomer/coupon", zh, true), "zh-CN", optionsFor(zh));
  CHECK(z.body == "小明，新人礼已到账：首单用优惠码NEW15享85折，快来选购吧！回T退订");
  CHECK(z.sms->segments == 1);
  CHECK(z.sms->characters <= 70);
  const auto e =
      render("newcomer/coupon", contextFor("newcomer/coupon", en, false), "en", optionsFor(en));
  CHECK(e.body ==
        "Hi Alex, a welcome gift from the shop: 15% off your first order with code NEW15. "
        "Reply STOP to opt out");
  CHECK(e.sms->encoding == "GSM-7");
  // A long Chinese name still fits one segment.
  json longname = zhCustomer();
  longname["first_name"] = "欧阳娜娜娜";
  CHECK(render("newcomer/coupon", contextFor("newcomer/coupon", longname, true), "zh-CN",
               optionsFor(longname))
            .sms->segments == 1);
}

TEST_CASE("win-back coupon: code, 8折/20% and an expiry date in the customer's timezone") {
  const auto& data = siteOf("winback/coupon").step->data;
  REQUIRE(data["valid_days"] == 14);
  const json zh = zhCustomer();
  const auto z = render("winback/coupon", contextFor("winback/coupon", zh, true), "zh-CN",
                        optionsFor(zh, "CNY"));
  CHECK(contains(z.html, "COMEBACK20"));
  CHECK(contains(z.html, "下单立享8折"));
  CHECK(contains(z.html, "优惠码14天内有效，截止到2026年12月7日。"));
  CHECK(contains(z.html, "自您2026年8月1日的上一笔订单以来"));
  // New York: 14 days after 2026-11-23T02:00Z is still December 6 there.
  json ny = enCustomer();
  ny["timezone"] = "America/New_York";
  const auto e =
      render("winback/coupon", contextFor("winback/coupon", ny, false), "en", optionsFor(ny));
  CHECK(e.subject == "Alex, we miss you: 20% off your next order");
  CHECK(contains(e.html, "The code is valid for 14 days, until December 6, 2026."));
  CHECK(contains(e.html, "Your last order with us was on August 1, 2026"));
  // No last order known: the sentence still reads.
  json fresh = enCustomer();
  fresh["last_order_at"] = nullptr;
  CHECK(contains(
      render("winback/coupon", contextFor("winback/coupon", fresh, false), "en", optionsFor(fresh))
          .html,
      "<p>We have added plenty of new things since."));

  const auto r =
      render("winback/reminder", contextFor("winback/reminder", zh, true), "zh-CN", optionsFor(zh));
  CHECK(
      r.body ==
      "小明，您的回归优惠码COMEBACK20还没有使用哦，过期就可惜了，下单时输入即可享受优惠。回T退订");
  CHECK(r.sms->segments == 1);
}

TEST_CASE("member invitation and reminder show the event date in the customer's timezone") {
  const json zh = zhCustomer(), en = enCustomer();
  const auto zi = render("member/invitation", contextFor("member/invitation", zh, true), "zh-CN",
                         optionsFor(zh));
  CHECK(zi.subject == "小明，诚邀您参加12月5日的冬季新品品鉴会");
  CHECK(contains(zi.html, "<strong>2026年12月5日 19:00</strong>"));
  CHECK(contains(zi.html, "<strong>上海静安店</strong>"));
  CHECK(contains(zi.html, "VIP 会员专享"));  // data.tier = vip from the send step
  CHECK(contains(zi.html, "直接回复这封邮件即可预留席位"));
  const auto ei =
      render("member/invitation", contextFor("member/invitation", en, false), "en", optionsFor(en));
  CHECK(ei.subject == "Alex, you're invited: Winter preview night on December 5");
  CHECK(contains(ei.html, "<strong>Saturday, December 5, 2026 at 11:00 AM</strong>"));
  CHECK(contains(ei.html, "VIP MEMBERS ONLY"));

  // An RSVP link replaces "reply to this email"; a date without a time shows no time.
  json ev = triggerEvent("member-exclusive", false);
  ev["properties"]["event_date"] = "2026-12-05";
  json ctx =
      contextFor("member/invitation", en, false, {{"rsvp_url", "https://shop.test/rsvp?e=12"}}, ev);
  const auto dated = render("member/invitation", ctx, "en", optionsFor(en));
  CHECK(contains(dated.html, "<strong>Saturday, December 5, 2026</strong>"));
  CHECK(contains(dated.html, "<a href=\"https://shop.test/rsvp?e=12\""));
  CHECK_FALSE(contains(dated.html, "reply to this email to save yours"));

  const auto zr =
      render("member/reminder", contextFor("member/reminder", zh, true), "zh-CN", optionsFor(zh));
  CHECK(zr.body == "小明，冬季新品品鉴会明天19:00开始，已为您预留席位，明天见！回T退订");
  CHECK(zr.sms->segments == 1);
  const auto er =
      render("member/reminder", contextFor("member/reminder", en, false), "en", optionsFor(en));
  CHECK(er.body ==
        "Hi Alex, a reminder from the shop: Winter preview night is tomorrow at 11:00 AM. Your "
        "place is saved, see you there! Reply STOP to opt out");
  CHECK(er.sms->encoding == "GSM-7");
  CHECK(er.sms->segments == 1);

  const auto zt =
      render("member/thank-you", contextFor("member/thank-you", zh, true), "zh-CN", optionsFor(zh));
  CHECK(contains(zt.html, "很高兴您能参加冬季新品品鉴会"));
}

TEST_CASE("birthday greetings carry the branch's own code and discount") {
  const json zh = zhCustomer(), en = enCustomer();
  const auto z = render("birthday/greeting", contextFor("birthday/greeting", zh, true), "zh-CN",
                        optionsFor(zh));
  CHECK(contains(z.html, "BDAY10"));
  CHECK(contains(z.html, "生日专享9折"));
  CHECK_FALSE(contains(z.html, "BDAYVIP"));
  const auto v = render("birthday/greeting-vip", contextFor("birthday/greeting-vip", zh, true),
                        "zh-CN", optionsFor(zh));
  CHECK(contains(v.html, "BDAYVIP"));
  CHECK(contains(v.html, "全场75折"));
  CHECK(contains(v.html, "从2024年3月至今，您已在本店下单3次"));
  const auto ev = render("birthday/greeting-vip", contextFor("birthday/greeting-vip", en, false),
                         "en", optionsFor(en));
  CHECK(ev.subject == "Happy birthday, Alex! Your VIP gift: 25% off");
  CHECK(contains(ev.html, "You have been with us since March 2024, across 3 orders"));
  const auto e =
      render("birthday/greeting", contextFor("birthday/greeting", en, false), "en", optionsFor(en));
  CHECK(contains(e.html, "10% off"));
  CHECK(contains(e.text, "BDAY10"));
}

TEST_CASE("cart nudge lists the cart with prices and a subtotal, or a fallback") {
  const json zh = zhCustomer(), en = enCustomer();
  const auto z =
      render("cart/nudge", contextFor("cart/nudge", zh, true), "zh-CN", optionsFor(zh, "CNY"));
  CHECK(z.subject == "小明，您的购物车里还有宝贝在等您");
  CHECK(contains(z.html, "<a href=\"https://shop.test/p/1\" style=\"color:#222\">羊绒围巾</a>"));
  CHECK(contains(z.html, "（燕麦色）"));
  CHECK(contains(z.html, "手冲咖啡豆 &lt;限量&gt;"));
  CHECK(contains(z.html, "数量 2"));
  CHECK(contains(z.html, ">¥199.00</td>"));
  CHECK(contains(z.html, ">¥119.00</td>"));
  CHECK(contains(z.html, "合计：¥318.00"));
  CHECK(contains(z.html, "<a href=\"https://shop.test/cart/9\""));
  CHECK(count(z.html, "<tr style=\"border-bottom") == 2);
  CHECK(contains(z.text, "手冲咖啡豆 <限量>"));
  const auto e = render("cart/nudge", contextFor("cart/nudge", en, false), "en", optionsFor(en));
  CHECK(contains(e.html, "Pour-over beans &lt;limited&gt;"));
  CHECK(contains(e.html, "Subtotal: $318.00"));
  CHECK(contains(e.html, "<img src=\"https://shop.test/p/1.jpg\" alt=\"\""));
  CHECK(count(e.text, "Cashmere scarf") == 1);  // the image adds no second copy to the text

  // A Segment-style "Product Added" with a single product.
  json single = {
      {"name", "Product Added"},
      {"properties", {{"cart_id", "c2"}, {"name", "Linen shirt"}, {"price", 45}, {"quantity", 2}}},
      {"time", "2026-11-18T06:30:00.000Z"}};
  const auto s =
      render("cart/nudge", contextFor("cart/nudge", en, false, {}, single), "en", optionsFor(en));
  CHECK(contains(s.html, "Linen shirt"));
  CHECK(contains(s.html, "Qty 2"));
  CHECK(contains(s.html, "Subtotal: $90.00"));
  // Nothing known about the cart.
  json empty = {{"name", "Product Added"},
                {"properties", {{"cart_id", "c3"}}},
                {"time", "2026-11-18T06:30:00.000Z"}};
  const auto n =
      render("cart/nudge", contextFor("cart/nudge", zh, true, {}, empty), "zh-CN", optionsFor(zh));
  CHECK(contains(n.html, "您挑选的商品还在购物车里。"));
  CHECK_FALSE(contains(n.html, "合计"));
  CHECK_FALSE(contains(n.html, "返回购物车"));
}

TEST_CASE("referral webhook is valid JSON with the customer, journey, step and data") {
  const auto& data = siteOf("referral/reward-webhook").step->data;
  for (const auto& c : cases()) {
    CAPTURE(c.locale);
    const auto m =
        render("referral/reward-webhook", contextFor("referral/reward-webhook", c.customer, c.zh),
               c.locale, optionsFor(c.customer));
    CHECK(m.subject.empty());
    CHECK_FALSE(m.sms.has_value());
    const json b = json::parse(m.body);
    CHECK(b["type"] == "referral.reward");
    CHECK(b["referrer_id"] == "7");
    CHECK(b["referred_customer_id"] == c.customer["id"]);
    CHECK(b["order_id"] == "A1001");
    CHECK(b["reward"] == data["reward"]);
    CHECK(b["amount"] == data["amount"]);
    CHECK(b["amount"] == 50);
    CHECK(b["journey"] == "referral");
    CHECK(b["step"] == "reward-referrer");
    CHECK(b["data"]["first_order"] == true);
    CHECK(b["data"]["total"] == 268);
    CHECK(contains(b["note"].get<std::string>(), c.name));
  }
  // Missing data becomes null, never broken JSON.
  json bare = {{"name", "Order Completed"},
               {"properties", json::object()},
               {"time", "2026-11-18T06:30:00Z"}};
  const json zh = anonymousCustomer("zh-CN");
  const auto m =
      render("referral/reward-webhook", contextFor("referral/reward-webhook", zh, true, {}, bare),
             "zh-CN", optionsFor(zh));
  const json b = json::parse(m.body);
  CHECK(b["referrer_id"].is_null());
  CHECK(b["order_id"].is_null());
  CHECK(b["referred_customer_id"] == "44");

  const json en = enCustomer();
  const auto f = render("referral/friend-thanks", contextFor("referral/friend-thanks", en, false),
                        "en", optionsFor(en));
  CHECK(contains(f.html, "Thank you for your first order (#A1001, $268.00)."));
}

TEST_CASE("NPS: survey links 0-10, reminder, promoter and detractor follow-ups") {
  const json zh = zhCustomer(), en = enCustomer();
  // Without a survey link: answer by reply.
  const auto plain =
      render("nps/survey", contextFor("nps/survey", en, false), "en", optionsFor(en));
  CHECK(contains(plain.html, "Thank you for your order #A1002 on November 18."));
  CHECK(contains(plain.html, "reply to this email with a number from 0"));
  CHECK(count(plain.html, "?score=") == 0);
  // With one: eleven score links carrying the order.
  const auto linked = render(
      "nps/survey", contextFor("nps/survey", zh, true, {{"survey_url", "https://shop.test/nps"}}),
      "zh-CN", optionsFor(zh));
  CHECK(count(linked.html, "href=\"https://shop.test/nps?score=") == 11);
  CHECK(contains(linked.html, "href=\"https://shop.test/nps?score=0&amp;order_id=A1002\""));
  CHECK(contains(linked.html, "href=\"https://shop.test/nps?score=10&amp;order_id=A1002\""));
  CHECK(contains(linked.html, "感谢您在11月18日的订单（订单号 A1002）"));

  const auto zr =
      render("nps/reminder", contextFor("nps/reminder", zh, true), "zh-CN", optionsFor(zh));
  CHECK(zr.body == "小明，您有多大可能把本店推荐给朋友？回复0-10的数字即可。谢谢！回T退订");
  CHECK(zr.sms->segments == 1);
  const auto er =
      render("nps/reminder",
             contextFor("nps/reminder", en, false, {{"survey_url", "https://shop.test/nps"}}), "en",
             optionsFor(en));
  CHECK(contains(er.body, "Answer here: https://shop.test/nps Reply STOP"));
  CHECK(er.sms->encoding == "GSM-7");
  CHECK(er.sms->segments == 1);

  const json promoter = {{"name", "Survey Answered"}, {"properties", {{"score", 10}}}};
  const auto p = render("nps/promoter-thanks",
                        contextFor("nps/promoter-thanks", en, false, {{"last_event", promoter}}),
                        "en", optionsFor(en));
  CHECK(contains(p.html, "Thank you for the 10 out of 10."));
  const auto pz = render("nps/promoter-thanks",
                         contextFor("nps/promoter-thanks", zh, true, {{"last_event", promoter}}),
                         "zh-CN", optionsFor(zh));
  CHECK(contains(pz.html, "感谢您打出10分的好评"));

  const json detractor = {{"name", "Survey Answered"},
                          {"properties", {{"score", 0}, {"comment", "包装破损 <太差>"}}}};
  const auto d =
      render("nps/detractor-follow-up",
             contextFor("nps/detractor-follow-up", zh, true, {{"last_event", detractor}}), "zh-CN",
             optionsFor(zh));
  CHECK(contains(d.html, "感谢您给出0分的真实评价"));
  CHECK(contains(d.html, "在订单 A1002 上"));
  CHECK(contains(d.html, ">包装破损 &lt;太差&gt;</blockquote>"));
  const auto de =
      render("nps/detractor-follow-up",
             contextFor("nps/detractor-follow-up", en, false, {{"last_event", detractor}}), "en",
             optionsFor(en));
  CHECK(contains(de.html, "Thank you for your honest rating of 0 out of 10."));
  CHECK(de.subject == "Alex, we are sorry we let you down");
}

TEST_CASE("SMS stay one segment for long names too") {
  auto set = shippedTemplates();
  for (const auto& name : kShipped) {
    if (set->find(name)->channel() != Channel::kSms) continue;
    CAPTURE(name);
    json en = enCustomer();
    en["first_name"] = "Maximilian-Alexander";  // 20 characters
    const auto e = render(name, contextFor(name, en, false), "en", optionsFor(en));
    CHECK(contains(e.body, "Maximilian-Alexander"));
    CHECK(e.sms->encoding == "GSM-7");
    CHECK(e.sms->segments == 1);
    json zh = zhCustomer();
    zh["first_name"] = "欧阳娜娜娜";
    const auto z = render(name, contextFor(name, zh, true), "zh-CN", optionsFor(zh));
    CHECK(contains(z.body, "欧阳娜娜娜"));
    CHECK(z.sms->segments == 1);
  }
}
