// The start-up URLs a person on the LAN can open: mDNS name and each address sbcmon
// listens on; never loopback or link-local, https under TLS, --bind respected.
#include "app/lan_urls.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using sbcmon::app::lan_urls;
using sbcmon::app::LocalAddress;

const std::vector<LocalAddress> kPi = {
    {4, "127.0.0.1"}, {4, "192.168.1.23"}, {4, "169.254.7.1"},
    {6, "::1"},       {6, "fe80::1"},      {6, "2001:db8::23"}, {4, "10.0.0.5"}};

TEST(LanUrls, EveryAddressGivesTheMdnsNameThenEachLanAddress) {
  const std::vector<std::string> want = {"http://raspberrypi.local:8080/", "http://192.168.1.23:8080/",
                                         "http://[2001:db8::23]:8080/", "http://10.0.0.5:8080/"};
  EXPECT_EQ(lan_urls("raspberrypi", "", 8080, false, kPi), want);
}

TEST(LanUrls, TlsGivesHttps) {
  const auto urls = lan_urls("pi", "", 8443, true, {{4, "192.168.1.23"}});
  const std::vector<std::string> want = {"https://pi.local:8443/", "https://192.168.1.23:8443/"};
  EXPECT_EQ(urls, want);
}

TEST(LanUrls, AnyIpv4LeavesIpv6Out) {
  const std::vector<std::string> want = {"http://pi.local:80/", "http://192.168.1.23:80/",
                                         "http://10.0.0.5:80/"};
  EXPECT_EQ(lan_urls("pi", "0.0.0.0", 80, false, kPi), want);
}

TEST(LanUrls, OneBoundAddressGivesOnlyThatAddress) {
  const std::vector<std::string> want = {"http://10.0.0.5:9000/"};
  EXPECT_EQ(lan_urls("pi", "10.0.0.5", 9000, false, kPi), want);
  const std::vector<std::string> want6 = {"http://[2001:db8::23]:9000/"};
  EXPECT_EQ(lan_urls("pi", "2001:db8::23", 9000, false, kPi), want6);
}

TEST(LanUrls, LoopbackBindGivesNone) {
  EXPECT_TRUE(lan_urls("pi", "127.0.0.1", 8080, false, kPi).empty());
  EXPECT_TRUE(lan_urls("pi", "::1", 8080, false, kPi).empty());
}

TEST(LanUrls, DomainHostnameUsesItsFirstLabelAndLocalhostIsLeftOut) {
  EXPECT_EQ(lan_urls("board.example.org", "", 1, false, {}),
            std::vector<std::string>{"http://board.local:1/"});
  EXPECT_TRUE(lan_urls("localhost", "", 1, false, {}).empty());
  EXPECT_TRUE(lan_urls("", "", 1, false, {}).empty());
}

TEST(LanUrls, AnAddressOnTwoInterfacesIsListedOnce) {
  EXPECT_EQ(lan_urls("", "", 8080, false, {{4, "10.0.0.5"}, {4, "10.0.0.5"}}),
            std::vector<std::string>{"http://10.0.0.5:8080/"});
}

TEST(LanUrls, ThisMachineHasALoopbackAddress) {
  // getifaddrs works here; lan_urls never lists what it returns for lo.
  bool lo = false;
  for (const LocalAddress& a : sbcmon::app::local_addresses()) lo = lo || a.text == "127.0.0.1";
  EXPECT_TRUE(lo);
}

}  // namespace
