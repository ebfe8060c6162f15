"""The teachers' page in a real browser at a phone's size (issue 30): Debian's headless Chromium
driven by Selenium (chromium-driver), against `guanai serve`'s application on 127.0.0.1.

A teacher signs in, sees their list, records a talk and sees it move to 已完成; a teacher of another
school signs in on the same phone and finds nothing of the first school. Each page is saved as a
PNG in $GUANAI_SCREENSHOTS (`make screenshots` writes docs/img/web/), to be looked at.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="the web extra (pip install 'guanai[web]') is in the test extra")
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is in the test extra")

AS_OF = datetime(2025, 11, 20, 2, 0, tzinfo=UTC)  # 2025-11-20 10:00 in 示例县
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER),
                                reason="needs Debian's chromium and chromium-driver (.ci/run installs them)")


@contextmanager
def serving(app):
    """uvicorn on a free port of 127.0.0.1 in a thread, until the block ends."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def phone():
    """Headless Chromium as a 390×844 phone (an iPhone 13's CSS pixels), in Chinese."""
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--lang=zh-CN",
                "--hide-scrollbars"):
        options.add_argument(arg)
    options.add_experimental_option("mobileEmulation", {
        "deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 2},
        "userAgent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
                     "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.50"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def shot(driver, name: str) -> None:
    """The whole page as a PNG in $GUANAI_SCREENSHOTS (the window grown to the page's height)."""
    folder = os.environ.get("GUANAI_SCREENSHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(390, max(844, min(int(height) + 120, 4000)))
    driver.save_screenshot(str(Path(folder) / f"{name}.png"))


def click(driver, element) -> None:
    """Click, and wait for the page it leads to (the clicked element gone with the old page)."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    def gone(_driver) -> bool:
        try:
            element.is_enabled()
        except WebDriverException:  # stale — or, mid-navigation, "Node … does not belong to the document"
            return True
        return False

    element.click()
    WebDriverWait(driver, 20).until(gone)
    WebDriverWait(driver, 20).until(lambda d: d.execute_script("return document.readyState") == "complete")


def sign_in(driver, base: str, user: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/login")
    driver.find_element(By.ID, "username").send_keys(user)
    driver.find_element(By.ID, "password").send_keys("any password: the test server trusts")
    click(driver, driver.find_element(By.CSS_SELECTOR, "button.primary"))


def test_a_teacher_records_a_talk_on_a_phone_and_another_school_sees_none_of_it(county):
    from guanai.core.web.sessions import Backend
    from guanai.core.web.views import make_app
    from selenium.webdriver.common.by import By

    def weekly_talk() -> dict:
        found = county.guanai("county_c01", "compliance", "--org", "S001", "--as-of", "2025-11-26", "--json")
        return next(r for r in json.loads(found.stdout)["rows"] if r["key"]["duty"] == "weekly-talk")

    before = weekly_talk()
    county.db.ok("user", "add", "phone_p001", "--org", "S002", "--role", "teacher", "--staff", "P001")
    try:
        app = make_app(Backend(county.db.url, "postgresql"), clock=lambda: AS_OF)
        with serving(app) as base, phone() as driver:
            driver.get(f"{base}/login")
            shot(driver, "1-登录")
            sign_in(driver, base, county.users["teacher_s001"].name)
            assert driver.current_url == f"{base}/tasks", driver.current_url
            body = driver.find_element(By.TAG_NAME, "body").text
            assert "刘小明" in body and "一周一谈心" in body and "本周" in body
            assert driver.execute_script("return document.documentElement.scrollWidth") <= 390  # no sideways scroll
            shot(driver, "2-我的任务")

            talk = driver.find_element(By.XPATH, "//a[contains(@class,'button') and contains(., '记录谈心')]")
            click(driver, talk)
            assert driver.find_element(By.ID, "at").get_attribute("value") == "2025-11-20T10:00"
            driver.find_element(By.ID, "minutes").send_keys("二十")
            click(driver, driver.find_element(By.CSS_SELECTOR, "button.primary"))
            error = driver.find_element(By.CSS_SELECTOR, "p.error")
            assert error.is_displayed() and "20" not in driver.find_element(By.ID, "minutes").get_attribute("value")
            shot(driver, "3-记录表单-有误")
            minutes = driver.find_element(By.ID, "minutes")
            minutes.clear()
            minutes.send_keys("20")
            driver.find_element(By.ID, "topic").send_keys("期中考试后的心情")
            click(driver, driver.find_element(By.CSS_SELECTOR, "button.primary"))
            assert driver.current_url.endswith("/tasks?saved=1")
            body = driver.find_element(By.TAG_NAME, "body").text
            assert "已记录：谈心 · 刘小明" in body and "已完成" in body
            shot(driver, "4-已完成")

            click(driver, driver.find_element(By.XPATH, "//a[.='我的结对']"))
            click(driver, driver.find_element(By.PARTIAL_LINK_TEXT, "刘小明"))
            assert "139****1111" in driver.find_element(By.TAG_NAME, "body").text
            shot(driver, "5-一人一档")
            click(driver, driver.find_element(By.XPATH, "//button[.='显示电话']"))
            assert "13900001111" in driver.find_element(By.TAG_NAME, "body").text

            click(driver, driver.find_element(By.CSS_SELECTOR, "header button.link"))  # 退出
            assert driver.current_url == f"{base}/login"
            sign_in(driver, base, "phone_p001")
            body = driver.find_element(By.TAG_NAME, "body").text
            assert "刘小明" not in body and "示例镇中学" not in body and "陈小红" not in body
            shot(driver, "6-另一所学校的教师")
            driver.get(f"{base}/api/children/K1")
            assert "record.child_unknown" in driver.find_element(By.TAG_NAME, "body").text

            driver.delete_all_cookies()  # the school's and the county's pages, to look at
            sign_in(driver, base, county.users["school_s001"].name)
            driver.get(f"{base}/school")
            assert "王芳" in driver.find_element(By.TAG_NAME, "body").text
            shot(driver, "7-本校")
            driver.delete_all_cookies()
            sign_in(driver, base, county.users["county_c01"].name)
            driver.get(f"{base}/county")
            assert "河口乡小学" in driver.find_element(By.TAG_NAME, "body").text
            shot(driver, "8-全县")
    finally:
        county.db.run("user", "remove", "phone_p001")
    after = weekly_talk()  # the talk recorded on the phone is in the county's figures
    assert (after["met"], after["expected"]) == (before["met"] + 1, before["expected"])
